"""Regenerate the bundled EGFR ctDNA example (fixed seed): python examples/egfr_ctdna/make_data.py.

Three synthetic patients with EGFR exon 19 deletion lung cancer, simulated by oncoresist.evolve
(erlotinib until RECIST progression, then osimertinib; T790M and C797S arise by mutation), then
sampled into plasma every 28 days by the ctDNA sampling model. Writes data/.
"""

from pathlib import Path

from oncoresist import ctdna

SEED = 1
PATIENTS = 3

if __name__ == "__main__":
    cohort = ctdna.simulate_cohort(PATIENTS, rng=SEED)
    cohort.write(Path(__file__).parent / "data")
    print(f"{len(cohort.samples)} sample rows written to {Path(__file__).parent / 'data'}")
