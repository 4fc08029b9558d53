"""VCF (plain or bgzipped) read with cyvcf2: VEP ``CSQ`` / SnpEff ``ANN`` protein changes,
structural and copy-number records, one set of alterations per sample.

- Protein changes come from the annotation whose layout the header describes (VEP:
  ``Format: Allele|Consequence|...``; SnpEff: ``Functional annotations: 'Allele | Annotation |
  ...'``). The transcript used is the one the user names, else VEP ``CANONICAL=YES`` or a MANE
  Select transcript; SnpEff has no canonical flag, so its first annotation of the allele (SnpEff
  sorts by impact) is used.
- Structural / copy-number records (``SVTYPE``, ``<DUP>``, ``<DEL>``, ``<AMP>``, ``<CNV>``,
  breakends) become amplification, deletion and fusion alterations of the genes the annotation
  (or an INFO ``GENE`` field) names; a duplication is an amplification only with a copy number
  (``CN``) of at least ``AMPLIFICATION_CN``.
- Each sample carrying the allele (genotype, allele depth or allele frequency) gets a row, with
  VAF from ``AF`` or ``AD``, depth from ``DP`` or the sum of ``AD``, and a phase label from
  ``PS`` (phased genotypes) or GATK's ``PID``/``PGT``.

Files without structural records are scanned as bytes by the numba kernels of ``_kernels.py``
(see ``_Reader.run_fast``); the record-by-record cyvcf2 path is used for the others and is the
reference the tests compare the kernels with.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from oncoresist._core.exceptions import InputError
from oncoresist.variants._kernels import (
    COMPLEX,
    GT_ABSENT,
    GT_WITH_ALLELE,
    KEPT,
    NO_ANNOTATION,
    NO_CHOSEN,
    NO_GENE,
    OUTSIDE,
    SHORT,
    decode_samples,
    same_key,
    scan_records,
)
from oncoresist.variants._readers import (
    COLUMNS,
    OBJECT_COLUMN,
    RowBuilder,
    SampleAlterations,
    concat_rows,
    parse_cached,
)

#: Copy number at or above which a duplication / CNV gain is called an amplification.
AMPLIFICATION_CN = 5.0

_NON_PROTEIN_HINT = ("synonymous", "intron", "UTR", "upstream", "downstream", "intergenic",
                     "non_coding", "regulatory", "TF_binding", "splice_region")
_SPLICE = ("splice_acceptor", "splice_donor")
_SV_ALTS = {"<DEL>": "DEL", "<DUP>": "DUP", "<DUP:TANDEM>": "DUP", "<AMP>": "AMP",
            "<CNV>": "CNV", "<INV>": "INV", "<INS>": "INS", "<DEL:ME>": "DEL"}


class _Layout:
    """Where the fields of one annotation entry are (CSQ or ANN)."""

    def __init__(self, tag: str, fields: list[str]) -> None:
        self.tag = tag
        names = {name: i for i, name in enumerate(fields)}
        if tag == "CSQ":
            self.gene = names.get("SYMBOL")
            self.hgvsp = names.get("HGVSp")
            self.hgvsc = names.get("HGVSc")
            self.consequence = names.get("Consequence")
            self.feature = names.get("Feature")
            self.canonical = names.get("CANONICAL")
            self.mane = names.get("MANE_SELECT", names.get("MANE"))
        else:
            self.gene = names.get("Gene_Name")
            self.hgvsp = names.get("HGVS.p")
            self.hgvsc = names.get("HGVS.c")
            self.consequence = names.get("Annotation")
            self.feature = names.get("Feature_ID")
            self.canonical = None
            self.mane = None
        self.allele = names.get("Allele")
        self.width = len(fields)
        self.fields = fields
        missing = [n for n, i in (("gene symbol", self.gene), ("HGVSp", self.hgvsp)) if i is None]
        self.missing = missing


def annotation_layout(header: str) -> _Layout | None:
    """The CSQ (VEP) or ANN (SnpEff) layout described in the header, if any."""
    for line in header.splitlines():
        if line.startswith("##INFO=<ID=CSQ,"):
            match = re.search(r"Format:\s*([^\"]+)\"", line)
            if match:
                return _Layout("CSQ", [f.strip() for f in match.group(1).split("|")])
        if line.startswith("##INFO=<ID=ANN,"):
            match = re.search(r"annotations:\s*'?([^'\"]+)'?\s*\"", line)
            if match:
                return _Layout("ANN", [f.strip() for f in match.group(1).split("|")])
    return None


def _count_header_lines(path: Path) -> int:
    """Lines before the first record, as written in the file (htslib adds header lines)."""
    import gzip

    with open(path, "rb") as raw:
        magic = raw.read(2)
    opener = gzip.open if magic == b"\x1f\x8b" else open
    count = 0
    try:
        with opener(path, "rb") as handle:
            for line in handle:
                if not line.startswith(b"#"):
                    break
                count += 1
    except (OSError, EOFError):
        pass  # a truncated file is reported by the record loop
    return count


def _incomplete_last_line(path: Path) -> int | None:
    """Line number of an unterminated last line of a plain VCF (a truncated file), else None."""
    with open(path, "rb") as raw:
        if raw.read(2) == b"\x1f\x8b":
            return None  # gzip truncation is reported by the decompressor
        raw.seek(0, 2)
        size = raw.tell()
        if size == 0:
            return None
        raw.seek(size - 1)
        if raw.read(1) == b"\n":
            return None
        raw.seek(0)
        count = 0
        for block in iter(lambda: raw.read(1 << 20), b""):
            count += block.count(b"\n")
    return count + 1


def _header_ids(header: str, kind: str) -> set[str]:
    return set(re.findall(rf"^##{kind}=<ID=([^,>]+)", header, flags=re.MULTILINE))


def _strip_version(name: str) -> str:
    return name.split(".", 1)[0] if name.startswith(("ENS", "NM_", "NR_", "XM_")) else name


def _decode(text: str) -> str:
    # VEP escapes '=' and ';' in HGVS strings (p.Leu858%3D)
    return text.replace("%3D", "=").replace("%3B", ";") if "%" in text else text


def _vep_allele(ref: str, alt: str) -> str:
    if len(ref) != len(alt) or len(ref) > 1:
        if ref[:1] == alt[:1]:
            return alt[1:] or "-"
    return alt


@dataclass
class SampleData:
    """FORMAT values of one sample at one record, as plain Python values."""

    alleles: list[int] | None = None  # called alleles (-1 missing); None: no GT
    phased: bool = False
    ad: list[int | None] | None = None
    dp: int | None = None
    af: list[float | None] | None = None
    ps: int | None = None
    pid: str | None = None
    pgt: str | None = None
    cn: float | None = None


def _int_or_none(value) -> int | None:
    if value is None:
        return None
    first = value[0] if hasattr(value, "__len__") and not isinstance(value, str) else value
    try:
        number = int(first)
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def _float_or_none(value) -> float | None:
    if value is None:
        return None
    first = value[0] if hasattr(value, "__len__") and not isinstance(value, str) else value
    try:
        number = float(first)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _af_value(text: bytes) -> float:
    """An AF value as ``_float_or_none`` reads it, NaN for None."""
    value = _float_or_none(text.decode())  # ASCII: the kernel sends other lines to Python
    return np.nan if value is None else value


def _int_column(values) -> pd.arrays.IntegerArray:
    """Int64 column from integers where a negative value means missing."""
    values = np.asarray(values, dtype=np.int64)
    return pd.arrays.IntegerArray(values, values < 0)


def _text_or_none(value) -> str | None:
    if value is None:
        return None
    text = value.decode() if isinstance(value, bytes) else str(value)
    text = text.strip()
    return None if text in ("", ".") else text


def carrier_values(data: SampleData, allele_index: int, *, structural: bool = False
                   ) -> tuple[float | None, int | None, int | None, str | None] | None:
    """(vaf, depth, alt_count, haplotype) when the sample carries the allele, else None.

    A carrier has the allele in its genotype, alt reads, or an allele fraction above zero; a
    sample without any of GT/AD/AF is taken as a carrier (sites-only style). For structural
    records only an explicit reference call (0/0) means absent, since CNV callers write ./.
    """
    alt_count = depth = vaf = None
    if data.ad is not None and len(data.ad) > allele_index:
        value = data.ad[allele_index]
        if value is not None:
            alt_count = value
            depth = sum(c for c in data.ad if c is not None)
    if data.dp is not None:
        depth = data.dp
    if data.af is not None and len(data.af) >= allele_index:
        vaf = data.af[allele_index - 1]
    if vaf is None and alt_count is not None:
        total = sum(c for c in data.ad if c is not None)
        vaf = alt_count / total if total else None
    alleles = data.alleles
    has_allele = alleles is not None and allele_index in alleles
    if structural:
        carries = alleles is None or not (alleles and all(a == 0 for a in alleles))
    else:
        carries = (has_allele or (alt_count is not None and alt_count > 0)
                   or (vaf is not None and vaf > 0)
                   or (alleles is None and alt_count is None and vaf is None))
    if not carries:
        return None
    haplotype = None
    if has_allele and data.phased and data.ps is not None:
        haplotype = f"PS{data.ps}:{alleles.index(allele_index)}"
    if haplotype is None and data.pid is not None and data.pgt is not None:
        sides = data.pgt.split("|")
        if len(sides) == 2 and "1" in sides:
            haplotype = f"PID{data.pid}:{sides.index('1')}"
    return vaf, depth, alt_count, haplotype


_FORMAT_KEYS = ("GT", "AD", "DP", "AF", "PS", "PID", "PGT", "CN")


@lru_cache(maxsize=256)
def _format_positions(format_text: str) -> tuple[int, ...]:
    keys = format_text.split(":")
    return tuple(keys.index(k) if k in keys else -1 for k in _FORMAT_KEYS)


def samples_from_text(format_text: str, sample_texts: list[str]) -> list[SampleData]:
    """Per-sample values parsed from a record's FORMAT and sample columns (text)."""
    positions = _format_positions(format_text)
    out = []
    for text in sample_texts:
        cells = text.split(":")
        gt, ad, dp, af, ps, pid, pgt, cn = (
            cells[i] if 0 <= i < len(cells) else None for i in positions
        )
        data = SampleData()
        if gt is not None:
            data.phased = "|" in gt
            data.alleles = [int(a) if a.isdigit() else -1 for a in gt.replace("|", "/").split("/")]
        if ad is not None and ad != ".":
            data.ad = [int(c) if c.isdigit() else None for c in ad.split(",")]
        data.dp = _int_or_none(dp)
        if af is not None and af != ".":
            data.af = [_float_or_none(x) for x in af.split(",")]
        data.ps = _int_or_none(ps)
        data.pid = _text_or_none(pid)
        data.pgt = _text_or_none(pgt)
        data.cn = _float_or_none(cn)
        out.append(data)
    return out


# ------------------------------------------------------------------------- columnar fast path
#
# For SNV/indel files (no structural records), the records are scanned as bytes by the kernels
# of ``_kernels.py``: per line the annotation entry is chosen (requested transcript, else
# CANONICAL=YES / MANE, else the first) and its gene tested against the wanted genes by a 64-bit
# FNV-1a hash (a hash hit is checked again in Python, so collisions cannot add rows). Python
# interprets each distinct (gene, change) once; the sample columns of the lines that give rows
# are decoded by a kernel and the rows built column-wise. Multi-allelic, short and unusual lines
# go through the record-by-record logic. ``read_vcf(..., fast=False)`` is the reference the
# tests compare it with.



def _fnv1a(data: bytes) -> int:
    """64-bit FNV-1a hash of bytes (the kernel computes the same)."""
    h = 14695981039346656037
    for byte in data:
        h ^= byte
        h = (h * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


class _Window:
    """Part of a memory-mapped file, sliced like bytes with positions relative to its start."""

    __slots__ = ("offset", "source")

    def __init__(self, source, offset: int) -> None:
        self.source = source
        self.offset = offset

    def __getitem__(self, span: slice) -> bytes:
        return self.source[span.start + self.offset:span.stop + self.offset]


class _Reader:
    def __init__(self, path: Path, transcript: str | None,
                 genes: Collection[str] | None) -> None:
        import cyvcf2

        self.path = path
        try:
            self.vcf = cyvcf2.VCF(str(path), lazy=True)
        except (OSError, UnicodeDecodeError) as exc:
            msg = (f"could not be opened as a VCF ({exc}); check that it is a complete VCF "
                   "(plain or bgzipped)")
            raise InputError(msg, path=path) from None
        header = self.vcf.raw_header
        self.header_lines = _count_header_lines(path)
        self.layout = annotation_layout(header)
        if self.layout is not None and self.layout.missing:
            msg = (f"{self.layout.tag} annotation in the header lacks the "
                   f"{' and '.join(self.layout.missing)} field(s); run VEP with --symbol "
                   "--hgvs (or SnpEff with HGVS) so that protein changes are written")
            raise InputError(msg, path=path)
        self.info_ids = _header_ids(header, "INFO")
        self.format_ids = _header_ids(header, "FORMAT")
        alt_ids = _header_ids(header, "ALT")
        self.maybe_sv = "SVTYPE" in self.info_ids or bool(alt_ids)
        self.samples = list(self.vcf.samples)
        self.transcript = None if transcript is None else _strip_version(transcript.strip())
        self.genes = None if genes is None else frozenset(genes)
        self.keep_gene = None if self.genes is None else self.genes.__contains__
        self.builder = RowBuilder()
        self.pending_mates: dict[str, tuple[list[str], int]] = {}
        self.incomplete_line = _incomplete_last_line(path)
        self.prefilter = True
        self._memo: dict[tuple, tuple] = {}
        if self.layout is None and not self.maybe_sv:
            msg = ("has no CSQ (VEP) or ANN (SnpEff) annotation in its header and no "
                   "structural records: annotate it with VEP (--symbol --hgvs --canonical) "
                   "or SnpEff first so that protein changes can be read")
            raise InputError(msg, path=path)

    # -- entry choice ----------------------------------------------------------------------

    def _choose(self, text: str, allele: str | None) -> list[str] | None:
        lay = self.layout
        first = None
        for entry in text.split(","):
            fields = entry.split("|")
            if len(fields) < lay.width:
                continue
            if allele is not None and lay.allele is not None and fields[lay.allele] != allele:
                continue
            if self.transcript is not None:
                if _strip_version(fields[lay.feature]) == self.transcript:
                    return fields
                continue
            if lay.canonical is not None and fields[lay.canonical] == "YES":
                return fields
            if lay.mane is not None and fields[lay.mane]:
                return fields
            if first is None:
                first = fields
        if self.transcript is not None:
            return None
        if lay.canonical is None and lay.mane is None:
            return first
        return None

    # -- per sample --------------------------------------------------------------------------

    def _record_samples(self, v) -> list[SampleData]:
        """Per-sample FORMAT values of a cyvcf2 record, as plain Python values."""
        fmt = self.format_ids
        arrays = {key: v.format(key) if key in fmt else None
                  for key in ("AD", "DP", "AF", "PS", "PID", "PGT", "CN")}
        genotypes = v.genotypes if "GT" in fmt else None
        out = []
        for s in range(len(self.samples)):
            def cell(key, s=s):
                array = arrays[key]
                return None if array is None else array[s]

            gt = genotypes[s] if genotypes is not None else None
            ad = cell("AD")
            out.append(SampleData(
                alleles=None if gt is None else [a if a >= 0 else -1 for a in gt[:-1]],
                phased=bool(gt[-1]) if gt is not None else False,
                ad=None if ad is None else [int(c) if c >= 0 else None for c in ad],
                dp=_int_or_none(cell("DP")),
                af=None if cell("AF") is None else [None if math.isnan(float(x)) else float(x)
                                                    for x in cell("AF")],
                ps=_int_or_none(cell("PS")),
                pid=_text_or_none(cell("PID")),
                pgt=_text_or_none(cell("PGT")),
                cn=_float_or_none(cell("CN")),
            ))
        return out

    def _emit(self, alteration, line: int, text: str, samples: list[SampleData] | None,
              allele_index: int, copy_number: float | None = None, *,
              structural: bool = False) -> None:
        if not self.samples:
            self.builder.add(self.path.name.split(".")[0], alteration, line=line, text=text,
                             copy_number=copy_number)
            return
        for s, data in enumerate(samples):
            values = carrier_values(data, allele_index, structural=structural)
            if values is None:
                continue
            vaf, depth, alt_count, haplotype = values
            cn = data.cn if data.cn is not None and data.cn >= 0 else copy_number
            self.builder.add(self.samples[s], alteration, line=line, text=text, vaf=vaf,
                             depth=depth, alt_count=alt_count, copy_number=cn,
                             haplotype=haplotype)

    # -- records -----------------------------------------------------------------------------

    def _kept(self, genes) -> bool:
        return self.keep_gene is None or any(self.keep_gene(g) for g in genes)

    def _small(self, ref: str, alts: list[str], line: int, text: str, samples) -> None:
        """One SNV/indel record; ``samples()`` gives its per-sample values when needed."""
        lay = self.layout
        multi = len(alts) > 1
        for allele_index, alt in enumerate(alts, start=1):
            allele = None
            if multi:
                allele = alt if lay.tag == "ANN" else _vep_allele(ref, alt)
            fields = self._choose(text, allele)
            if fields is None:
                self.builder.skip("no canonical or requested transcript"
                                  if self.transcript is None else
                                  f"not on transcript {self.transcript}")
                continue
            self._chosen(fields[lay.gene], fields[lay.hgvsp],
                         fields[lay.hgvsc] if lay.hgvsc is not None else "",
                         fields[lay.consequence] if lay.consequence is not None else "",
                         line, samples, allele_index)

    def _interpret(self, gene: str, hgvsp: str, hgvsc: str, consequence: str) -> tuple:
        """What the chosen annotation of one allele means, independent of the record:
        ``("row", alteration, text)``, ``("skip", reason)`` or ``("problem", reason, text)``."""
        if not gene:
            return ("skip", "annotation without gene symbol")
        if self.keep_gene is not None and not self.keep_gene(gene):
            return ("skip", "gene outside the knowledge base")
        protein = _decode(hgvsp)
        if ":" in protein:
            protein = protein.split(":", 1)[1]
        if not protein or protein.endswith("=") or protein in ("p.?", "p.0"):
            if any(s in consequence for s in _SPLICE) and hgvsc:
                protein = _decode(hgvsc).split(":", 1)[-1]
            else:
                return ("skip", f"protein unchanged ({consequence or 'no HGVSp'})")
        parsed, reason = parse_cached(gene, protein)
        if parsed is None:
            return ("problem", reason or f"cannot parse {protein!r}", f"{gene} {protein}")
        return ("row", parsed, f"{gene} {protein}")

    def _apply(self, outcome: tuple, line: int, samples, allele_index: int) -> None:
        if outcome[0] == "row":
            self._emit(outcome[1], line, outcome[2], samples() if self.samples else None,
                       allele_index)
        elif outcome[0] == "skip":
            self.builder.skip(outcome[1])
        else:
            self.builder.problem(line, outcome[1], outcome[2])

    def _chosen(self, gene: str, hgvsp: str, hgvsc: str, consequence: str, line: int,
                samples, allele_index: int) -> None:
        """The chosen annotation of one allele: protein change, parse, per-sample rows."""
        self._apply(self._interpret(gene, hgvsp, hgvsc, consequence), line, samples,
                    allele_index)

    def _sv_genes(self, v, text: str | None) -> list[str]:
        genes: dict[str, None] = {}
        if text and self.layout is not None:
            lay = self.layout
            for entry in text.split(","):
                fields = entry.split("|")
                if len(fields) > lay.gene and fields[lay.gene]:
                    for g in fields[lay.gene].split("&"):
                        genes.setdefault(g.strip())
        if not genes:
            for key in ("GENE", "GENES", "GENE_NAME", "SYMBOL"):
                value = v.INFO.get(key) if key in self.info_ids else None
                if value:
                    for g in re.split(r"[,&|]", str(value)):
                        if g.strip():
                            genes.setdefault(g.strip())
                    break
        return list(genes)

    def _fusion_from_ann(self, text: str | None) -> list[str] | None:
        if not text or self.layout is None or self.layout.tag != "ANN":
            return None
        lay = self.layout
        for entry in text.split(","):
            fields = entry.split("|")
            if len(fields) > lay.gene and "gene_fusion" in fields[lay.consequence] \
                    and "&" in fields[lay.gene]:
                return [g.strip() for g in fields[lay.gene].split("&")][:2]
        return None

    def _structural(self, v, line: int, svtype: str, text: str | None) -> None:
        where = f"{v.CHROM}:{v.POS}"
        info = v.INFO
        if svtype == "BND":
            self._breakend(v, line, text, where)
            return
        genes = self._sv_genes(v, text)
        if not genes:
            self.builder.problem(line, f"{svtype} record at {where} names no gene (no gene in "
                                 "CSQ/ANN, no INFO GENE); annotate it with VEP or SnpEff")
            return
        cn = None
        if "CN" in self.info_ids:
            value = info.get("CN")
            if value is not None:
                cn = float(value)
        per_sample_cn = "CN" in self.format_ids
        if svtype == "AMP" or (svtype in ("DUP", "CNV", "GAIN") and cn is not None
                               and cn >= AMPLIFICATION_CN):
            word = "amplification"
        elif svtype in ("DEL", "LOSS") or (svtype == "CNV" and cn is not None and cn <= 1):
            word = "deletion"
        elif svtype in ("DUP", "CNV", "GAIN") and per_sample_cn:
            self._per_sample_cnv(v, line, genes, where)
            return
        elif svtype in ("DUP", "CNV", "GAIN"):
            shown = "no CN" if cn is None else f"CN={cn:g}"
            self.builder.skip(f"copy-number change below amplification ({shown})")
            return
        else:
            self.builder.skip(f"structural variant type {svtype} not interpreted")
            return
        for gene, parsed in self._copy_number_alterations(genes, word, line):
            self._emit(parsed, line, f"{gene} {svtype} {where}",
                       self._record_samples(v) if self.samples else None, 1, copy_number=cn,
                       structural=True)

    def _copy_number_alterations(self, genes: list[str], word: str, line: int):
        """(gene, alteration) for each kept gene; skipped and unreadable ones are recorded."""
        for gene in genes:
            if not self._kept([gene]):
                self.builder.skip("gene outside the knowledge base")
                continue
            parsed, reason = parse_cached(gene, word)
            if parsed is None:
                self.builder.problem(line, reason or f"cannot read {gene} {word}")
                continue
            yield gene, parsed

    def _per_sample_cnv(self, v, line: int, genes: list[str], where: str) -> None:
        cn_values = v.format("CN")
        for s, sample in enumerate(self.samples):
            value = float(cn_values[s][0])
            if math.isnan(value) or value < 0:
                continue
            if value >= AMPLIFICATION_CN:
                word = "amplification"
            elif value <= 1:
                word = "deletion"
            else:
                self.builder.skip(f"copy-number change below amplification (CN={value:g})")
                continue
            for gene, parsed in self._copy_number_alterations(genes, word, line):
                self.builder.add(sample, parsed, line=line, text=f"{gene} CN={value:g} {where}",
                                 copy_number=value)

    def _breakend(self, v, line: int, text: str | None, where: str) -> None:
        partners = self._fusion_from_ann(text)
        if partners is None:
            genes = self._sv_genes(v, text)
            mate = v.INFO.get("MATEID") if "MATEID" in self.info_ids else None
            own = v.ID
            if len(genes) >= 2:
                partners = genes[:2]
            elif mate is not None and own is not None:
                if mate in self.pending_mates:
                    mate_genes, _ = self.pending_mates.pop(mate)
                    partners = [*mate_genes[:1], *genes[:1]]
                    if len(partners) < 2:
                        self.builder.problem(line, f"breakend pair {mate}/{own} at {where} does "
                                             "not name a gene on both sides")
                        return
                else:
                    self.pending_mates[own] = (genes, line)
                    return
            else:
                self.builder.problem(line, f"breakend at {where} names neither two genes nor "
                                     "a MATEID; the fusion partners are unknown")
                return
        if partners[0] == partners[1]:
            self.builder.skip("intragenic rearrangement")
            return
        if not self._kept(partners):
            self.builder.skip("gene outside the knowledge base")
            return
        fusion = f"{partners[0]}::{partners[1]} fusion"
        parsed, reason = parse_cached(None, fusion)
        if parsed is None:
            self.builder.problem(line, reason or f"cannot read {fusion}")
            return
        self._emit(parsed, line, f"{fusion} {where}",
                   self._record_samples(v) if self.samples else None, 1, structural=True)

    def _result(self) -> SampleAlterations:
        return SampleAlterations(
            self.builder.frame(), tuple(self.builder.problems), "vcf", str(self.path),
            tuple(self.samples) or (self.path.name.split(".")[0],), self.builder.skipped,
        )

    #: Bytes per block of records (x4 for a memory-mapped plain file); tests make it small.
    chunk_bytes = 1 << 26

    def _body_chunks(self):
        """The records as ``(data, buf)`` blocks that end at a line end (the last may not).

        ``data[a:b]`` gives bytes and ``buf`` is the same block as a uint8 array. A plain file
        is memory-mapped (no copy of the records); a gzip/bgzip one is decompressed in blocks.
        """
        import gzip
        import mmap

        size = self.chunk_bytes
        with open(self.path, "rb") as raw:
            packed = raw.read(2) == b"\x1f\x8b"
        if not packed:
            with open(self.path, "rb") as raw:
                for _ in range(self.header_lines):
                    raw.readline()
                start = raw.tell()
                total = os.fstat(raw.fileno()).st_size
                if total <= start:
                    return
                mapped = mmap.mmap(raw.fileno(), 0, access=mmap.ACCESS_READ)
            size *= 4  # mapped blocks cost no copy: fewer, larger ones repeat less work
            buf = None
            try:
                while start < total:
                    stop = min(start + size, total)
                    if stop < total:
                        cut = mapped.rfind(b"\n", start, stop)
                        stop = cut + 1 if cut >= start else mapped.find(b"\n", stop) + 1 or total
                    buf = np.frombuffer(mapped, dtype=np.uint8, count=stop - start, offset=start)
                    yield _Window(mapped, start), buf
                    start = stop
            finally:
                del buf
                with contextlib.suppress(BufferError):  # still viewed: closed when released
                    mapped.close()
            return
        with gzip.open(self.path, "rb") as handle:
            for _ in range(self.header_lines):
                handle.readline()
            rest = b""
            while True:
                block = handle.read(size)
                if not block:
                    break
                data = rest + block
                cut = data.rfind(b"\n")
                if cut < 0:
                    rest = data
                    continue
                chunk = data[: cut + 1]
                yield chunk, np.frombuffer(chunk, dtype=np.uint8)
                rest = data[cut + 1 :]
            if rest:
                yield rest, np.frombuffer(rest, dtype=np.uint8)

    def run_fast(self) -> SampleAlterations:
        """Scan the records as bytes with the kernels; Python sees each distinct change once."""
        lay = self.layout
        index = np.array([-1 if i is None else i for i in (
            lay.gene, lay.hgvsp, lay.hgvsc, lay.consequence, lay.canonical, lay.mane,
            lay.feature)], dtype=np.int64)
        tag = np.frombuffer(lay.tag.encode(), dtype=np.uint8)
        transcript = np.frombuffer((self.transcript or "").encode(), dtype=np.uint8)
        if self.genes is not None:
            known = np.array(sorted({_fnv1a(g.encode()) for g in self.genes}), dtype=np.uint64)
        else:
            known = np.zeros(0, dtype=np.uint64)
        width = 8 + (1 + len(self.samples) if self.samples else 0)
        base = self.header_lines
        try:
            for data, buf in self._body_chunks():
                out, keys = scan_records(buf, tag, index, lay.width, width, transcript, known,
                                         self.genes is not None)
                self._consume(data, buf, out, keys, base, width)
                base += len(out)
        except (OSError, EOFError) as exc:
            msg = (f"could not be read after line {base} ({exc}); the file looks truncated or "
                   "corrupt: check it with `bcftools view` and write it again")
            raise InputError(msg, path=self.path, line=base + 1) from None
        return self._result()

    def _outcome(self, data: bytes, row) -> tuple:
        """The interpretation of a scanned line's (gene, HGVSp, HGVSc, consequence), memoised.

        Raises UnicodeDecodeError when the fields are not UTF-8.
        """
        key = (data[row[3]:row[4]], data[row[5]:row[6]],
               data[row[7]:row[8]] if row[7] >= 0 else b"",
               data[row[9]:row[10]] if row[9] >= 0 else b"")
        outcome = self._memo.get(key)
        if outcome is None:
            outcome = self._interpret(*(part.decode() for part in key))
            self._memo[key] = outcome
        return outcome

    def _line_by_line(self, data: bytes, row, line: int, width: int) -> None:
        """One scanned line (short, multi-allelic or unusual) the way the reference reads it."""
        code = row[2]
        try:
            if code == SHORT:
                self.builder.problem(line, f"record has fewer than {width} tab-separated "
                                     "columns")
            elif code == COMPLEX:
                cells = data[row[0]:row[1]].decode().split("\t")
                self._text_record(cells, line)
            else:
                outcome = self._outcome(data, row)
                fmt = row[11]

                def samples(fmt=fmt, end=row[1]):
                    cells = data[fmt:end].decode().split("\t")
                    return samples_from_text(cells[0], cells[1:])

                self._apply(outcome, line, samples, 1)
        except UnicodeDecodeError as exc:
            self.builder.problem(line, f"record is not UTF-8 text ({exc.reason}); save "
                                 "the file as UTF-8")

    def _consume(self, data: bytes, buf, out, keys, base: int, width: int) -> None:
        """Turn one block's scanned lines into rows, problems and skip counts.

        Lines are grouped by the hash of their annotation fields so that each distinct
        (gene, change) is interpreted once; the sample columns of the lines that give rows are
        decoded by a kernel and the rows built column-wise. Short, multi-allelic and unusual
        lines, and lines whose (gene, change) is a problem, go through the reference logic one
        by one; the rows of both are merged in line order.
        """
        status = out[:, 2]
        counts = np.bincount(status, minlength=8)
        last = len(out) - 1
        incomplete = self.incomplete_line is not None and self.incomplete_line == base + last + 1
        if incomplete:
            counts[status[last]] -= 1
        tag = self.layout.tag
        for code, reason in ((OUTSIDE, "gene outside the knowledge base"),
                             (NO_ANNOTATION, f"no {tag} annotation"),
                             (NO_CHOSEN, "no canonical or requested transcript"
                              if self.transcript is None else
                              f"not on transcript {self.transcript}"),
                             (NO_GENE, "annotation without gene symbol")):
            if counts[code]:
                self.builder.skip(reason, int(counts[code]))
        kept_mask = status == KEPT
        special_mask = (status == COMPLEX) | (status == SHORT)
        if incomplete:
            kept_mask[last] = special_mask[last] = False
        kept = np.flatnonzero(kept_mask)
        # one interpretation per distinct (gene, HGVSp, HGVSc, consequence)
        uniques, first, inverse = np.unique(keys[kept], return_index=True, return_inverse=True)
        representatives = kept[first]
        same = same_key(buf, out, kept, representatives[inverse])
        special_mask[kept[~same]] = True  # a hash collision: read on its own
        kind = np.empty(len(uniques), np.int8)  # 0 row, 1 skip, 2 line by line
        objects: list = []
        skips: list[str | None] = []
        for u, position in enumerate(representatives.tolist()):
            try:
                outcome = self._outcome(data, out[position])
            except UnicodeDecodeError:
                outcome = ("problem",)
            kind[u] = {"row": 0, "skip": 1}.get(outcome[0], 2)
            objects.append(outcome if outcome[0] == "row" else None)
            skips.append(outcome[1] if outcome[0] == "skip" else None)
        line_kind = kind[inverse]
        line_kind[~same] = 3
        skip_counts = np.bincount(inverse[line_kind == 1], minlength=len(uniques))
        for u in np.flatnonzero(skip_counts).tolist():
            self.builder.skip(skips[u], int(skip_counts[u]))
        special_mask[kept[line_kind == 2]] = True
        row_lines = kept[line_kind == 0]
        row_codes = inverse[line_kind == 0]
        block = None
        if self.samples:
            decoded = decode_samples(buf, out[row_lines, 11], out[row_lines, 1],
                                     len(self.samples))
            fallback = decoded[-1]
            special_mask[row_lines[fallback]] = True
            good = ~fallback
            block = self._sample_rows(data, base, row_lines[good], row_codes[good], objects,
                                      [a[good] for a in decoded[:-1]])
        elif len(row_lines):
            block = self._sites_rows(base, row_lines, row_codes, objects)
        # the reference logic for the other lines, in line order
        self.builder.flush()
        for position in np.flatnonzero(special_mask).tolist():
            self._line_by_line(data, out[position], base + position + 1, width)
        if block is not None:
            one_by_one = self.builder.take_rows()
            if len(one_by_one):
                block = concat_rows([block, one_by_one])
                order = np.argsort(block["line"].to_numpy(dtype=np.int64), kind="stable")
                block = block.take(order).reset_index(drop=True)
            self.builder.add_block(block)
        if incomplete:
            self.builder.problem(base + last + 1, "the last record is incomplete (the file "
                                 "does not end with a newline): the file looks truncated; "
                                 "write it again")

    def _block(self, codes, objects: list, columns: dict) -> pd.DataFrame:
        """A row block: per-row columns given, per-change columns taken from ``objects``."""
        alterations = np.empty(len(objects), dtype=object)
        for u, outcome in enumerate(objects):
            alterations[u] = None if outcome is None else outcome[1]
        present = [u for u, outcome in enumerate(objects) if outcome is not None]
        texts = np.empty(len(objects), dtype=object)
        names = np.empty(len(objects), dtype=object)
        genes = np.empty(len(objects), dtype=object)
        kinds = np.empty(len(objects), dtype=object)
        for u in present:
            alteration = alterations[u]
            texts[u] = objects[u][2]
            names[u] = str(alteration)
            genes[u] = getattr(alteration, "gene", None)
            kind = getattr(alteration, "kind", None)
            kinds[u] = "compound" if kind is None else kind.value
        frame = pd.DataFrame({
            "sample_id": columns["sample_id"],
            "gene": genes[codes],
            "alteration": names[codes],
            "kind": kinds[codes],
            "vaf": columns["vaf"],
            "depth": columns["depth"],
            "alt_count": columns["alt_count"],
            "copy_number": np.full(len(codes), np.nan),
            "haplotype": columns["haplotype"],
            "line": columns["line"],
            "source_text": texts[codes],
        }, columns=list(COLUMNS))
        frame[OBJECT_COLUMN] = pd.Series(alterations[codes], dtype=object, index=frame.index)
        return frame

    def _sites_rows(self, base: int, lines, codes, objects: list) -> pd.DataFrame:
        """Rows of a VCF without samples: one per record, named after the file."""
        n = len(lines)
        missing = _int_column(np.full(n, -1, dtype=np.int64))
        name = np.empty(n, dtype=object)
        name[:] = self.path.name.split(".")[0]
        haplotype = np.empty(n, dtype=object)
        return self._block(codes, objects, {
            "sample_id": name, "vaf": np.full(n, np.nan), "depth": missing,
            "alt_count": _int_column(np.full(n, -1, dtype=np.int64)), "haplotype": haplotype,
            "line": pd.array(base + lines + 1, dtype="Int64"),
        })

    def _sample_rows(self, data: bytes, base: int, lines, codes, objects: list,
                     decoded: list) -> pd.DataFrame:
        """Rows of the carrier samples of single-allelic lines, from the decoded arrays.

        The same rules as :func:`carrier_values` with allele 1, column by column.
        """
        gt, phased, allele_at, ad_alt, ad_sum, dp, af_start, af_end, ps = decoded
        af = np.full(gt.shape, np.nan)
        given = af_start >= 0
        if given.any():
            af[given] = [_af_value(data[s:e]) for s, e in
                         zip(af_start[given].tolist(), af_end[given].tolist(), strict=True)]
        has_alt = ad_alt >= 0
        with np.errstate(divide="ignore", invalid="ignore"):
            ad_vaf = np.where(has_alt & (ad_sum > 0), ad_alt / np.maximum(ad_sum, 1), np.nan)
        vaf = np.where(np.isnan(af), ad_vaf, af)
        depth = np.where(dp >= 0, dp, np.where(has_alt, ad_sum, -1))
        with np.errstate(invalid="ignore"):
            positive = vaf > 0
        carrier = ((gt == GT_WITH_ALLELE) | (ad_alt > 0) | positive
                   | ((gt == GT_ABSENT) & ~has_alt & np.isnan(vaf)))
        line_index, sample_index = np.nonzero(carrier)
        samples = np.array(self.samples, dtype=object)
        phase = (gt == GT_WITH_ALLELE) & phased & (ps >= 0)
        haplotype = np.empty(len(line_index), dtype=object)
        labelled = np.flatnonzero(phase[line_index, sample_index])
        if len(labelled):
            li, si = line_index[labelled], sample_index[labelled]
            haplotype[labelled] = [f"PS{p}:{a}" for p, a in
                                   zip(ps[li, si].tolist(), allele_at[li, si].tolist(),
                                       strict=True)]
        chosen_depth = depth[line_index, sample_index]
        chosen_alt = ad_alt[line_index, sample_index]
        return self._block(codes[line_index], objects, {
            "sample_id": samples[sample_index],
            "vaf": vaf[line_index, sample_index],
            "depth": _int_column(chosen_depth),
            "alt_count": _int_column(chosen_alt),
            "haplotype": haplotype,
            "line": pd.array(base + lines[line_index] + 1, dtype="Int64"),
        })

    def _text_record(self, cells: list[str], line: int) -> None:
        """A multi-allelic (or symbolic) record from its text, like the reference does."""
        text = None
        for item in cells[7].split(";"):
            if item.startswith(self.layout.tag + "="):
                text = item[len(self.layout.tag) + 1:]
        if text is None:
            self.builder.skip(f"no {self.layout.tag} annotation")
            return
        self._small(cells[3], cells[4].split(","), line, text,
                    lambda: samples_from_text(cells[8], cells[9:]))

    def run(self) -> SampleAlterations:
        tag = self.layout.tag if self.layout is not None else None
        layout_tag_in_header = tag is not None
        maybe_sv = self.maybe_sv
        has_svtype = "SVTYPE" in self.info_ids
        line = self.header_lines
        prefilter = self.prefilter and self.keep_gene is not None and self.layout is not None
        keep = self.keep_gene
        gene_index = self.layout.gene if self.layout is not None else 0
        gene_end = gene_index + 1
        skipped = self.builder.skipped

        def names_wanted(text: str) -> bool:
            for entry in text.split(","):
                fields = entry.split("|", gene_end)
                if len(fields) > gene_index and keep(fields[gene_index]):
                    return True
            return False

        def skip_outside() -> None:
            skipped["gene outside the knowledge base"] = \
                skipped.get("gene outside the knowledge base", 0) + 1
        try:
            for v in self.vcf:
                line += 1
                if line == self.incomplete_line:
                    self.builder.problem(line, "the last record is incomplete (the file does not "
                                         "end with a newline): the file looks truncated; write "
                                         "it again")
                    continue
                try:
                    text = v.INFO.get(tag) if layout_tag_in_header else None
                    if maybe_sv:
                        svtype = v.INFO.get("SVTYPE") if has_svtype else None
                        first_alt = v.ALT[0] if v.ALT else ""
                        if svtype is None and first_alt.startswith("<"):
                            svtype = _SV_ALTS.get(first_alt.split(":")[0].rstrip(">") + ">",
                                                  first_alt.strip("<>"))
                        if svtype is None and ("[" in first_alt or "]" in first_alt):
                            svtype = "BND"
                        if svtype is not None:
                            self._structural(v, line, str(svtype).upper(), text)
                            continue
                    if text is None:
                        self.builder.skip(f"no {tag or 'CSQ/ANN'} annotation")
                        continue
                    if prefilter and not names_wanted(text):
                        # no entry names a wanted gene: nothing more to decode (counted per
                        # record, where the reference counts per allele)
                        skip_outside()
                        continue
                    self._small(v.REF, v.ALT, line, text,
                                lambda v=v: self._record_samples(v))
                except UnicodeDecodeError as exc:
                    self.builder.problem(line, f"record is not UTF-8 text ({exc.reason}); "
                                         "save the file as UTF-8")
        except Exception as exc:  # htslib reports truncation and bad lines as plain exceptions
            msg = (f"could not be read after line {line} ({exc}); the file looks truncated or "
                   "malformed: check it with `bcftools view` and write it again")
            raise InputError(msg, path=self.path, line=line + 1) from None
        for own, (genes, mate_line) in self.pending_mates.items():
            self.builder.problem(mate_line, f"breakend {own} ({', '.join(genes) or 'no gene'}) "
                                 "has no mate record in the file; the fusion is incomplete")
        return self._result()


def read_vcf(path: Path, *, transcript: str | None = None,
             genes: Collection[str] | None = None, fast: bool = True) -> SampleAlterations:
    """Read the alterations of every sample of a VCF (see the module docstring).

    ``fast`` uses the byte-scanning kernel for files without structural records; with
    ``fast=False`` every record goes through cyvcf2 one by one: the reference the tests compare
    the kernel with.
    """
    reader = _Reader(Path(path), transcript, genes)
    if fast and not reader.maybe_sv:
        return reader.run_fast()
    reader.prefilter = False
    return reader.run()
