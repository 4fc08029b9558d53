"""CRISPR screens under drug: count guides, check quality, rank resistance and sensitiser genes.

Counting (:func:`count_reads`), quality control (:func:`screen_qc`), normalisation
(:func:`size_factors`), MAGeCK-style robust rank aggregation (:func:`rra_test`), drugZ paired
z-scores (:func:`drugz_test`), a negative-binomial GLM with a design matrix (:func:`mle_test`),
hits read against the knowledge base (:func:`annotate_hits`), and a screen simulator with known
truth (:func:`simulate_screen`).
Results are written in the layouts of MAGeCK and drugZ.
"""

from oncoresist.crispr._annotate import annotate_hits
from oncoresist.crispr._count import CountResult, count_reads
from oncoresist.crispr._drugz import DrugZResult, drugz_test
from oncoresist.crispr._mle import MLEResult, mle_test, read_design
from oncoresist.crispr._normalise import normalise_counts, size_factors
from oncoresist.crispr._plots import plot_gene_ranks, plot_guide_counts, plot_qc, plot_volcano
from oncoresist.crispr._qc import QCResult, screen_qc
from oncoresist.crispr._rra import MeanVarianceModel, RRAResult, rra_test
from oncoresist.crispr._simulate import SimulatedScreen, simulate_screen
from oncoresist.crispr._stats import benjamini_hochberg, gini_index
from oncoresist.crispr._table import CountTable, Library, read_counts, read_library

__all__ = [
    "CountResult",
    "CountTable",
    "DrugZResult",
    "Library",
    "MLEResult",
    "MeanVarianceModel",
    "QCResult",
    "RRAResult",
    "SimulatedScreen",
    "annotate_hits",
    "benjamini_hochberg",
    "count_reads",
    "drugz_test",
    "gini_index",
    "mle_test",
    "normalise_counts",
    "plot_gene_ranks",
    "plot_guide_counts",
    "plot_qc",
    "plot_volcano",
    "read_counts",
    "read_design",
    "read_library",
    "rra_test",
    "screen_qc",
    "simulate_screen",
    "size_factors",
]
