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
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path

from oncoresist._core.exceptions import InputError
from oncoresist.variants._readers import RowBuilder, SampleAlterations, parse_cached

#: Copy number at or above which a duplication / CNV gain is called an amplification.
AMPLIFICATION_CN = 5.0

_NON_PROTEIN_HINT = ("synonymous", "intron", "UTR", "upstream", "downstream", "intergenic",
                     "non_coding", "regulatory", "TF_binding", "splice_region")
_SPLICE = ("splice_acceptor", "splice_donor")
_SV_ALTS = {"<DEL>": "DEL", "<DUP>": "DUP", "<DUP:TANDEM>": "DUP", "<AMP>": "AMP",
            "<CNV>": "CNV", "<INV>": "INV", "<INS>": "INS", "<DEL:ME>": "DEL"}
_MISSING_INT = -2147483648


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


class _Reader:
    def __init__(self, path: Path, transcript: str | None,
                 keep_gene: Callable[[str], bool] | None) -> None:
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
        self.keep_gene = keep_gene
        self.builder = RowBuilder()
        self.pending_mates: dict[str, tuple[list[str], int]] = {}
        self.incomplete_line = _incomplete_last_line(path)
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

    def _sample_values(self, v, allele_index: int, *, structural: bool = False
                       ) -> list[tuple[int, float | None, int | None, int | None, str | None]]:
        """(sample index, vaf, depth, alt_count, haplotype) for each carrier of the allele."""
        n = len(self.samples)
        fmt = self.format_ids
        ad = v.format("AD") if "AD" in fmt else None
        dp = v.format("DP") if "DP" in fmt else None
        af = v.format("AF") if "AF" in fmt else None
        ps = v.format("PS") if "PS" in fmt else None
        pid = v.format("PID") if "PID" in fmt else None
        pgt = v.format("PGT") if "PGT" in fmt else None
        genotypes = v.genotypes if "GT" in fmt else None
        out = []
        for s in range(n):
            alt_count = None
            depth = None
            vaf = None
            if ad is not None and ad.shape[1] > allele_index:
                counts = [int(c) for c in ad[s] if c >= 0]
                value = int(ad[s][allele_index])
                if value >= 0:
                    alt_count = value
                    depth = sum(counts)
            if dp is not None and dp[s][0] >= 0 and dp[s][0] != _MISSING_INT:
                depth = int(dp[s][0])
            if af is not None and af.shape[1] >= allele_index:
                value = float(af[s][allele_index - 1])
                if not math.isnan(value):
                    vaf = value
            if vaf is None and alt_count is not None:
                total = sum(int(c) for c in ad[s] if c >= 0)
                vaf = alt_count / total if total else None
            gt = genotypes[s] if genotypes is not None else None
            if structural:
                # CNV/SV callers often write ./. : only an explicit reference call says "absent"
                carries = gt is None or not (all(a == 0 for a in gt[:-1]) and len(gt) > 1)
            else:
                carries = (gt is not None and allele_index in gt[:-1])
            carries = carries or (
                (gt is not None and allele_index in gt[:-1])
                or (alt_count is not None and alt_count > 0)
                or (vaf is not None and vaf > 0)
                or (gt is None and alt_count is None and vaf is None)
            )
            if not carries:
                continue
            haplotype = None
            if gt is not None and gt[-1] and allele_index in gt[:-1]:
                side = gt[:-1].index(allele_index)
                if ps is not None and ps[s][0] >= 0:
                    haplotype = f"PS{int(ps[s][0])}:{side}"
            if haplotype is None and pid is not None and pgt is not None:
                set_id = str(pid[s]).strip()
                phased = str(pgt[s]).strip()
                sides = phased.split("|")
                if set_id not in ("", ".") and len(sides) == 2 and "1" in sides:
                    haplotype = f"PID{set_id}:{sides.index('1')}"
            out.append((s, vaf, depth, alt_count, haplotype))
        return out

    def _emit(self, v, alteration, line: int, text: str, allele_index: int,
              copy_number: float | None = None, *, structural: bool = False) -> None:
        if not self.samples:
            self.builder.add(self.path.name.split(".")[0], alteration, line=line, text=text,
                             copy_number=copy_number)
            return
        cn_format = v.format("CN") if "CN" in self.format_ids else None
        for s, vaf, depth, alt_count, haplotype in self._sample_values(
                v, allele_index, structural=structural):
            cn = copy_number
            if cn_format is not None:
                value = float(cn_format[s][0])
                if not math.isnan(value) and value >= 0:
                    cn = value
            self.builder.add(self.samples[s], alteration, line=line, text=text, vaf=vaf,
                             depth=depth, alt_count=alt_count, copy_number=cn,
                             haplotype=haplotype)

    # -- records -----------------------------------------------------------------------------

    def _kept(self, genes) -> bool:
        return self.keep_gene is None or any(self.keep_gene(g) for g in genes)

    def _small(self, v, line: int, text: str) -> None:
        lay = self.layout
        alts = v.ALT
        multi = len(alts) > 1
        for allele_index, alt in enumerate(alts, start=1):
            allele = None
            if multi:
                allele = alt if lay.tag == "ANN" else _vep_allele(v.REF, alt)
            fields = self._choose(text, allele)
            if fields is None:
                self.builder.skip("no canonical or requested transcript"
                                  if self.transcript is None else
                                  f"not on transcript {self.transcript}")
                continue
            gene = fields[lay.gene]
            if not gene:
                self.builder.skip("annotation without gene symbol")
                continue
            if self.keep_gene is not None and not self.keep_gene(gene):
                self.builder.skip("gene outside the knowledge base")
                continue
            protein = _decode(fields[lay.hgvsp])
            if ":" in protein:
                protein = protein.split(":", 1)[1]
            consequence = fields[lay.consequence] if lay.consequence is not None else ""
            if not protein or protein.endswith("=") or protein in ("p.?", "p.0"):
                if any(s in consequence for s in _SPLICE) and lay.hgvsc is not None:
                    cdna = _decode(fields[lay.hgvsc]).split(":", 1)[-1] or "splice variant"
                    protein = cdna
                else:
                    self.builder.skip(f"protein unchanged ({consequence or 'no HGVSp'})")
                    continue
            parsed, reason = parse_cached(gene, protein)
            if parsed is None:
                self.builder.problem(line, reason or f"cannot parse {protein!r}",
                                     f"{gene} {protein}")
                continue
            self._emit(v, parsed, line, f"{gene} {protein}", allele_index)

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
        for gene in genes:
            if not self._kept([gene]):
                self.builder.skip("gene outside the knowledge base")
                continue
            parsed, reason = parse_cached(gene, word)
            if parsed is None:
                self.builder.problem(line, reason or f"cannot read {gene} {word}")
                continue
            self._emit(v, parsed, line, f"{gene} {svtype} {where}", 1, copy_number=cn,
                       structural=True)

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
            for gene in genes:
                if not self._kept([gene]):
                    self.builder.skip("gene outside the knowledge base")
                    continue
                parsed, reason = parse_cached(gene, word)
                if parsed is None:
                    self.builder.problem(line, reason or f"cannot read {gene} {word}")
                    continue
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
        self._emit(v, parsed, line, f"{fusion} {where}", 1, structural=True)

    def run(self) -> SampleAlterations:
        tag = self.layout.tag if self.layout is not None else None
        layout_tag_in_header = tag is not None
        maybe_sv = self.maybe_sv
        has_svtype = "SVTYPE" in self.info_ids
        line = self.header_lines
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
                    self._small(v, line, text)
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
        return SampleAlterations(
            self.builder.frame(), tuple(self.builder.problems), "vcf", str(self.path),
            tuple(self.samples) or (self.path.name.split(".")[0],), self.builder.skipped,
        )


def read_vcf(path: Path, *, transcript: str | None = None,
             keep_gene: Callable[[str], bool] | None = None) -> SampleAlterations:
    """Read the alterations of every sample of a VCF (see the module docstring)."""
    return _Reader(Path(path), transcript, keep_gene).run()
