"""Clone calls from lineage-barcode UMI counts: the two rules by hand, the formats, the noise.

Noise case (stated before looking at output): each cell carries its true barcode at
Poisson(6) UMIs and ambient reads of other barcodes at Poisson(0.3) UMIs in total. With
``min_umis=2`` a true barcode is detected with probability P(Poisson(6) >= 2) = 1 - 7 e^-6
= 0.983; an ambient barcode reaches 2 UMIs with probability below P(Poisson(0.3) >= 2) =
0.037 and then outweighs a detected true barcode rarely. Required: >= 0.99 of assigned cells
carry their true clone, and >= 0.93 of cells are assigned (0.983 less ambiguity).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oncoresist import sc as osc
from oncoresist._core import InputError


def _adata(n):
    import anndata as ad

    return ad.AnnData(X=np.zeros((n, 1), dtype=np.float32),
                      obs=pd.DataFrame(index=[f"c{i}" for i in range(n)]))


def test_dominant_rule_by_hand():
    adata = _adata(5)
    wide = pd.DataFrame(
        [[5, 1, 0], [1, 0, 0], [3, 3, 0], [0, 0, 0], [4, 0, 3]],
        index=adata.obs_names, columns=["A", "B", "C"],
    )
    osc.pp.call_barcodes(adata, wide, min_umis=2, min_share=0.5)
    # c0: A (5 UMIs; B under 2 is not detected); c1: nothing detected; c2: A and B tie;
    # c3: nothing; c4: A holds 4/7 >= 0.5 of the detected UMIs.
    assert adata.obs["barcode"].astype(str).tolist() == ["A", "nan", "nan", "nan", "A"]
    assert adata.obs["barcode_n_barcodes"].tolist() == [1, 0, 2, 0, 2]
    summary = adata.uns["barcode"]["summary"]
    assert (summary["with_barcode"], summary["assigned"], summary["ambiguous"]) == (3, 2, 1)


def test_combination_rule_by_hand():
    adata = _adata(4)
    long = pd.DataFrame({
        "cell": ["c0", "c0", "c1", "c1", "c2", "c2", "c2", "c3"],
        "barcode": ["A", "B", "A", "B", "A", "B", "C", "D"],
        "umis": [3, 3, 2, 5, 3, 3, 3, 4],
    })
    calls = osc.pp.call_barcodes(adata, long, method="combination", jaccard=0.7, min_umis=2)
    # Jaccard({A,B}, {A,B,C}) = 2/3 < 0.7: c2 is its own clone; c0 and c1 share {A,B}.
    assert calls.clone.tolist() == ["A+B", "A+B", "A+B+C", "D"]
    loose = osc.pp.call_barcodes(adata, long, method="combination", jaccard=0.6, min_umis=2)
    assert loose.clone.tolist() == ["A+B", "A+B", "A+B", "D"]  # 2/3 >= 0.6 links c2


def test_combination_rule_with_large_clones():
    # 3,000 cells carry {A, B}, 2,000 carry {C}, 5 carry {A, B, D} (Jaccard 2/3 with {A, B}:
    # apart at 0.7) and 5 carry {A, B, C} (2/3 with {A, B}, 1/3 with {C}: apart too).
    sets = [("A", "B")] * 3000 + [("C",)] * 2000 + [("A", "B", "D")] * 5 + [("A", "B", "C")] * 5
    adata = _adata(len(sets))
    long = pd.DataFrame([(cell, barcode, 3) for cell, s in zip(adata.obs_names, sets, strict=True)
                         for barcode in s], columns=["cell", "barcode", "umis"])
    calls = osc.pp.call_barcodes(adata, long, method="combination")
    assert calls.clone.value_counts().to_dict() == {"A+B": 3000, "C": 2000, "A+B+D": 5, "A+B+C": 5}


def test_long_table_file_and_obsm_give_the_same_calls(tmp_path):
    adata = _adata(3)
    path = tmp_path / "barcodes.tsv"
    path.write_text("cell\tbarcode\tumis\nc0\tA\t4\nc1\tB\t2\nc2\tA\t1\nc9\tA\t7\n")
    from_file = osc.pp.call_barcodes(adata, path, copy=True)
    adata.obsm["lineage"] = np.array([[4, 0], [0, 2], [1, 0]])
    adata.uns["lineage_names"] = ["A", "B"]
    from_obsm = osc.pp.call_barcodes(adata, "lineage", copy=True)
    assert from_file.obs["barcode"].equals(from_obsm.obs["barcode"])
    assert from_file.obs["barcode"].astype(str).tolist() == ["A", "B", "nan"]


def test_noisy_counts_recover_true_clones():
    rng = np.random.default_rng(7)
    n_cells, n_barcodes = 4000, 300
    truth = rng.integers(0, n_barcodes, n_cells)
    counts = np.zeros((n_cells, n_barcodes))
    counts[np.arange(n_cells), truth] += rng.poisson(6.0, n_cells)
    ambient = rng.poisson(0.3, n_cells)
    for cell in np.flatnonzero(ambient):
        np.add.at(counts[cell], rng.integers(0, n_barcodes, ambient[cell]), 1)
    adata = _adata(n_cells)
    names = np.array([f"BC{i:03d}" for i in range(n_barcodes)])
    adata.obsm["lineage"] = pd.DataFrame(counts, index=adata.obs_names, columns=names)
    calls = osc.pp.call_barcodes(adata, "lineage", min_umis=2)
    assigned = calls.clone.notna().to_numpy()
    assert (calls.clone[assigned].to_numpy() == names[truth[assigned]]).mean() >= 0.99
    assert assigned.mean() >= 0.93


def test_called_barcodes_feed_clone_fitness():
    adata = osc.simulate(1200, n_genes=600, n_clones=40, rng=3)
    codes = adata.obs["barcode"].astype(str)
    long = pd.DataFrame({"cell": adata.obs_names, "barcode": codes, "umis": 5})
    osc.pp.call_barcodes(adata, long, key_added="called")
    assert (adata.obs["called"].astype(str) == codes).all()
    res = osc.tl.clones(adata, "called", sample_key="sample", condition_key="condition",
                        control="control", treated="drug", time_key="time")
    assert set(res.persisters()) <= set(adata.uns["simulation"]["resistant_clones"])


@pytest.mark.parametrize(
    ("counts", "kwargs", "match"),
    [
        (pd.DataFrame({"cell": ["zz"], "barcode": ["A"], "umis": [3]}), {}, "none of its cells"),
        (pd.DataFrame({"cell": ["c0"], "barcode": ["A"], "umis": [-1]}), {}, "counts >= 0"),
        ("missing_key.tsv", {}, "does not exist"),
        (pd.DataFrame({"cell": ["c0"], "barcode": ["A"], "umis": [3]}), {"method": "vote"}, "method"),
        (pd.DataFrame({"cell": ["c0"], "barcode": ["A"], "umis": [3]}), {"min_share": 0}, "min_share"),
        (42, {}, "barcode counts must be"),
    ],
)
def test_bad_barcode_input_is_refused(counts, kwargs, match):
    with pytest.raises(InputError, match=match):
        osc.pp.call_barcodes(_adata(2), counts, **kwargs)
