"""Write data/clonal_pyclone.tsv: the example patient's multi-sample clonal input (synthetic).

Run from anywhere: ``python examples/egfr_nsclc/make_clonal.py``. Fixed seed; the same bytes on
every run. Not patient data.

The story is the one of ``case.yaml``: EGFR exon 19 deletion lung adenocarcinoma, erlotinib from
day 0, EGFR T790M emerging on erlotinib, osimertinib from day 280, then EGFR C797S (in cis with
T790M) emerging on osimertinib. Three samples in PyClone-VI input format:

========================  ====  ======  ==========================================
sample                    day   purity  what
========================  ====  ======  ==========================================
TUMOUR_DX                 -14   0.70    tissue at diagnosis (purity as in the VCF's
                                        allele fractions, 0.35 x 2)
REBIOPSY_PD_ERLOTINIB     280   0.50    re-biopsy at progression on erlotinib
PLASMA_PD_OSIMERTINIB     616   0.90    plasma exome at progression on osimertinib
                                        (tumour fraction = 2 x the truncal ctDNA
                                        allele fraction of ctdna.tsv on day 616)
========================  ====  ======  ==========================================

Clones (cancer cell fractions per sample; a clone's CCF includes its descendants):

* ``trunk``: EGFR exon 19 deletion, TP53 p.R273H and 18 passengers; CCF 1 everywhere.
* ``dx-sub``: a branch of 10 passengers beside the resistant lineage, 35% of the cells at
  diagnosis and gone under erlotinib (it carries no resistance).
* ``t790m``: EGFR p.T790M and 10 passengers; absent from the diagnostic biopsy (below detection),
  all cells at both progressions. ctdna.tsv gives T790M/exon-19-deletion allele-fraction ratios
  of 1.01 on day 280 and 1.00 on day 616.
* ``c797s``: EGFR p.C797S and 8 passengers, on top of ``t790m``; absent before osimertinib, all
  cells on day 616 (C797S/exon-19-deletion ratio 0.99 in ctdna.tsv).

Reads: heterozygous, copy-neutral mutations (major_cn 1, minor_cn 1, normal_cn 2); depth
Poisson (mean 250 in tissue, 200 in plasma); alternative reads binomial with the expected VAF of
PyClone's model (``oncoresist.clonal.expected_vafs``, error rate 0.001). The public simulator
``oncoresist.clonal.simulate`` draws a random tree and random clone proportions, so it cannot tell
this story; the sampling here is the same binomial model with the tree fixed.

Mutation ids name the driver (``EGFR:p.T790M``) or the clone of a synthetic passenger
(``t790m-p03``), so the deconvolution can be compared with the truth by eye.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from oncoresist.clonal import expected_vafs

SEED = 20261130
OUT = Path(__file__).parent / "data" / "clonal_pyclone.tsv"
SAMPLES = ("TUMOUR_DX", "REBIOPSY_PD_ERLOTINIB", "PLASMA_PD_OSIMERTINIB")
PURITY = (0.70, 0.50, 0.90)
DEPTH = (250, 250, 200)
ERROR_RATE = 0.001
# clone -> (drivers, number of passengers, CCF in each sample)
CLONES = {
    "trunk": (("EGFR:p.E746_A750del", "TP53:p.R273H"), 18, (1.0, 1.0, 1.0)),
    "dx-sub": ((), 10, (0.35, 0.0, 0.0)),
    "t790m": (("EGFR:p.T790M",), 10, (0.0, 1.0, 1.0)),
    "c797s": (("EGFR:p.C797S",), 8, (0.0, 0.0, 1.0)),
}


def clonal_table(seed: int = SEED) -> pd.DataFrame:
    """The PyClone-VI input table (long: one row per mutation and sample)."""
    rng = np.random.default_rng(seed)
    rows = []
    for clone, (drivers, passengers, ccfs) in CLONES.items():
        names = list(drivers) + [f"{clone}-p{i + 1:02d}" for i in range(passengers)]
        for name in names:
            for sample, purity, depth, ccf in zip(SAMPLES, PURITY, DEPTH, ccfs, strict=True):
                vaf = float(expected_vafs(ccf, purity=purity, error_rate=ERROR_RATE)[0])
                total = int(rng.poisson(depth))
                alt = int(rng.binomial(total, vaf))
                rows.append({"mutation_id": name, "sample_id": sample, "ref_counts": total - alt,
                             "alt_counts": alt, "normal_cn": 2, "major_cn": 1, "minor_cn": 1,
                             "tumour_content": purity})
    return pd.DataFrame(rows)


def main() -> None:
    table = clonal_table()
    OUT.write_text(table.to_csv(sep="\t", index=False, lineterminator="\n"))
    print(f"wrote {OUT} ({table['mutation_id'].nunique()} mutations x {len(SAMPLES)} samples)")


if __name__ == "__main__":
    main()
