"""Rebuild ``src/oncoresist/sc/data/gene_positions_hg38.tsv.gz`` from Bioconductor's org.Hs.eg.db.

The table gives each human gene (NCBI Entrez Gene symbol) its GRCh38 position, for copy-number
inference from expression (``oncoresist.sc.tl.cnv_clones``). Source: the SQLite database of the
Bioconductor annotation package org.Hs.eg.db 3.16.0 (Entrez Gene 2022-Sep12; chromosome
locations from UCSC's hg38 gene tracks, 2022-Aug31; Ensembl ids 2022-Jun28), as packaged by
Debian (``r-bioc-org.hs.eg.db``). Run once, by hand, where that package is available::

    apt-get download r-bioc-org.hs.eg.db && dpkg-deb -x r-bioc-org.hs.eg.db_*.deb pkg
    python tools/build_gene_positions.py \
        pkg/usr/lib/R/site-library/org.Hs.eg.db/extdata/org.Hs.eg.sqlite

Rules (why): only the 24 primary chromosomes (alternative haplotypes and fix patches repeat
genes); a gene's span is the smallest start and largest end over its transcripts (signs in the
database mark the minus strand); a gene on both X and Y (pseudo-autosomal) is placed on X; a
gene placed on two other chromosomes, or spanning more than 2.5 Mb (larger than any single
human gene, so several loci were merged), is left out. ``aliases`` lists a gene's other names (older symbols such as AARS for AARS1)
that name no other gene and are no gene's current symbol, so older count matrices still place.
Starts are written 1-based (the database
holds UCSC's 0-based starts), so EGFR reads chr7:55,019,017-55,211,628 as NCBI Gene gives it.
"""

from __future__ import annotations

import gzip
import sqlite3
import sys
from pathlib import Path

PRIMARY = [str(i) for i in range(1, 23)] + ["X", "Y"]
MAX_SPAN = 2_500_000
OUT = Path(__file__).resolve().parents[1] / "src/oncoresist/sc/data/gene_positions_hg38.tsv.gz"

QUERY = """
select g.gene_id, i.symbol, l.seqname, l.start_location, l.end_location
from genes g join gene_info i on g._id = i._id join chromosome_locations l on l._id = g._id
"""


def _unique_aliases(con: sqlite3.Connection) -> dict[str, list[str]]:
    """Aliases (older symbols) that name one gene only and are nobody's current symbol."""
    symbols = {s for (s,) in con.execute("select symbol from gene_info")}
    owners: dict[str, set[str]] = {}
    for gene_id, alias in con.execute(
        "select g.gene_id, a.alias_symbol from genes g join alias a on g._id = a._id"
    ):
        owners.setdefault(alias, set()).add(gene_id)
    out: dict[str, list[str]] = {}
    for alias, genes in owners.items():
        if len(genes) == 1 and alias not in symbols and "\t" not in alias and ";" not in alias:
            out.setdefault(genes.pop(), []).append(alias)
    return out


def main(database: str) -> None:
    """Write the table from the org.Hs.eg.db SQLite file at ``database``."""
    con = sqlite3.connect(database)
    spans: dict[tuple[str, str], dict[str, list[int]]] = {}
    for gene_id, symbol, seqname, start, end in con.execute(QUERY):
        if seqname not in PRIMARY:
            continue
        strand = "-" if start < 0 else "+"
        lo, hi = sorted((abs(start), abs(end)))
        entry = spans.setdefault((gene_id, symbol), {}).setdefault(seqname, [lo, hi, strand])
        entry[0], entry[1] = min(entry[0], lo), max(entry[1], hi)
    ensembl: dict[str, list[str]] = {}
    for gene_id, ens in con.execute(
        "select g.gene_id, e.ensembl_id from genes g join ensembl e on g._id = e._id"
    ):
        ensembl.setdefault(gene_id, []).append(ens)
    aliases = _unique_aliases(con)
    rows = []
    for (gene_id, symbol), places in spans.items():
        chroms = set(places)
        if chroms == {"X", "Y"}:
            chroms = {"X"}
        if len(chroms) != 1:
            continue
        chrom = chroms.pop()
        lo, hi, strand = places[chrom]
        if hi - lo > MAX_SPAN:
            continue
        ens = ";".join(sorted(ensembl.get(gene_id, [])))
        other_names = ";".join(sorted(aliases.get(gene_id, [])))
        rows.append((f"chr{chrom}", lo + 1, hi, strand, symbol, gene_id, ens, other_names))
    rows.sort(key=lambda r: (PRIMARY.index(r[0][3:]), r[1], r[4]))
    header = "chromosome\tstart\tend\tstrand\tsymbol\tentrez_id\tensembl_ids\taliases\n"
    with gzip.GzipFile(OUT, "wb", mtime=0) as handle:  # mtime 0: same input, same bytes
        handle.write(header.encode())
        for row in rows:
            handle.write(("\t".join(map(str, row)) + "\n").encode())
    print(f"wrote {len(rows)} genes to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
