"""Reading SynergyFinder long format and matrices; the viability/inhibition check."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from oncoresist._core import InputError
from oncoresist.synergy import ResponseConventionWarning, read_matrix, read_screen


def test_oneil_long_format(oneil_path):
    screen = read_screen(oneil_path, response="inhibition")
    assert list(screen.blocks) == ["1", "2"]
    block = screen.blocks["1"]
    assert block.drugs == ("MK-1775", "Niraparib")
    assert block.conc_unit == "uM"
    assert block.doses.shape == (100, 2)
    d1, d2, grid = block.matrix()
    assert d1.tolist() == [0.0, 0.0325, 0.08, 0.2, 0.5]
    assert d2.tolist() == [0.0, 0.223, 0.775, 2.75, 10.0]
    # Mean of the four replicate rows of (0.0325, 0.223), read off the CSV by hand.
    raw = pd.read_csv(oneil_path)
    sel = raw[(raw.block_id == 1) & (raw.conc1 == 0.0325) & (raw.conc2 == 0.223)]
    assert len(sel) == 4
    assert grid[1, 1] == pytest.approx(sel.response.mean(), abs=1e-12)


def test_mathews_aliases_and_viability_conversion(mathews_path):
    screen = read_screen(mathews_path, response="viability")
    block = screen.blocks["1"]
    assert block.drugs == ("ispinesib", "ibrutinib")
    assert block.conc_unit == "nM"
    # First data row: ispinesib 2500 nM, ibrutinib 50 nM, 7.802637 % viability -> 92.197363 % inhibition.
    row = np.flatnonzero((block.doses[:, 0] == 2500) & (block.doses[:, 1] == 50))[0]
    assert block.response[row] == pytest.approx(100 - 7.802637)
    assert screen.notes == ()


def test_viability_declared_as_inhibition_is_caught(mathews_path):
    with pytest.warns(ResponseConventionWarning, match="pass --response viability"):
        screen = read_screen(mathews_path, response="inhibition")
    assert any("viability" in note for note in screen.notes)


def test_inhibition_declared_as_viability_is_caught(oneil_path):
    with pytest.warns(ResponseConventionWarning, match="pass --response inhibition"):
        read_screen(oneil_path, response="viability")


def test_right_conventions_do_not_warn(oneil_path, mathews_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_screen(oneil_path, response="inhibition")
        read_screen(mathews_path, response="viability")


def test_fractions_instead_of_percent_warn(tmp_path):
    rows = ["block_id,drug1,drug2,conc1,conc2,response,conc_unit"]
    for c1, c2, r in [(0, 0, 0), (1, 0, 0.2), (10, 0, 0.6), (100, 0, 0.8), (0, 1, 0.3), (0, 10, 0.5), (0, 100, 0.7), (1, 1, 0.5)]:
        rows.append(f"1,a,b,{c1},{c2},{r},uM")
    path = tmp_path / "s.csv"
    path.write_text("\n".join(rows) + "\n")
    with pytest.warns(ResponseConventionWarning, match="fractions"):
        read_screen(path)


def test_unknown_response_kind(oneil_path):
    with pytest.raises(InputError, match="'inhibition' or 'viability'"):
        read_screen(oneil_path, response="percent")


def _write(tmp_path, text):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    return path


def test_missing_column_names_it(tmp_path):
    path = _write(tmp_path, "block_id,drug1,drug2,conc1,conc2,response\n1,a,b,0,0,0\n")
    with pytest.raises(InputError, match="conc_unit") as info:
        read_screen(path)
    assert info.value.line == 1


def test_negative_concentration_points_at_line(tmp_path):
    text = "block_id,drug1,drug2,conc1,conc2,response,conc_unit\n1,a,b,0,0,0,uM\n1,a,b,-1,0,5,uM\n"
    with pytest.raises(InputError, match="conc1") as info:
        read_screen(_write(tmp_path, text))
    assert info.value.line == 3


def test_two_pairs_in_one_block_rejected(tmp_path):
    text = (
        "block_id,drug1,drug2,conc1,conc2,response,conc_unit\n"
        "1,a,b,0,0,0,uM\n1,a,b,1,0,5,uM\n1,a,c,0,1,5,uM\n"
    )
    with pytest.raises(InputError, match="more than one drug2") as info:
        read_screen(_write(tmp_path, text))
    assert info.value.line == 4


def test_all_nan_block_rejected(tmp_path):
    text = "block_id,drug1,drug2,conc1,conc2,response,conc_unit\n1,a,b,0,0,,uM\n1,a,b,1,0,NA,uM\n"
    with pytest.raises(InputError, match="no numeric response"):
        read_screen(_write(tmp_path, text))


def test_block_without_single_drug_wells_rejected(tmp_path):
    text = "block_id,drug1,drug2,conc1,conc2,response,conc_unit\n1,a,b,0,0,0,uM\n1,a,b,1,1,50,uM\n1,a,b,0,1,20,uM\n"
    with pytest.raises(InputError, match="no single-drug wells for a"):
        read_screen(_write(tmp_path, text))


def test_matrix_reads_like_long_format(tmp_path, oneil_path):
    block = read_screen(oneil_path).blocks["2"]
    d1, d2, grid = block.matrix()
    lines = ["conc1\\conc2," + ",".join(f"{c:g}" for c in d2)]
    lines += [f"{c:g}," + ",".join(repr(float(v)) for v in row) for c, row in zip(d1, grid, strict=True)]
    path = tmp_path / "m.csv"
    path.write_text("\n".join(lines) + "\n")
    again = read_matrix(path, drug1="Paclitaxel", drug2="L-778123", conc_unit="uM").blocks["1"]
    assert np.array_equal(again.matrix()[2], grid)


def test_three_drug_long_format(tmp_path):
    rows = ["block_id,drug1,drug2,drug3,conc1,conc2,conc3,response,conc_unit"]
    for c1 in (0, 1):
        for c2 in (0, 1):
            for c3 in (0, 1):
                rows.append(f"7,a,b,c,{c1},{c2},{c3},{10 * (c1 + c2 + c3)},uM")
    path = tmp_path / "three.csv"
    path.write_text("\n".join(rows) + "\n")
    block = read_screen(path).blocks["7"]
    assert block.drugs == ("a", "b", "c")
    assert block.doses.shape == (8, 3)
