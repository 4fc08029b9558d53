"""Model files: the examples load; mistakes are reported with file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncoresist._core.exceptions import InputError
from oncoresist.evolve import load_scenario

EXAMPLES = Path(__file__).parents[2] / "examples" / "bozic2013"

GOOD = """\
name: t
drugs:
  x: {pk: {half_life: 2.0}}
types:
  S: {birth: 0.5, death: 0.1, drugs: {x: {target: death, emax: 0.6, ec50: 0.8, hill: 2}}}
  R: {birth: 0.4, death: 0.1}
mutations:
  - {from: S, to: R, sites: 10, rate: 1.0e-7}
switches:
  - {from: S, to: R, rate: 0.001, induced_by: {x: {emax: 0.01}}}
initial: {S: 100}
capacity: {S: 1.0e+6, R: 2.0e+6}
competition: {S: {R: 0.5}}
treatment:
  schedule:
    - {start: 0, boluses: {x: 5}}
    - {start: 3}
  period: 7
"""


@pytest.mark.parametrize("name", ["one_drug.yaml", "two_drugs.yaml", "two_drugs_no_cross.yaml"])
def test_examples_load(name):
    scenario = load_scenario(EXAMPLES / name)
    assert scenario.model.types[0].name == "S"
    assert scenario.reference_values()[0][0] == "P(extinct)"


def test_full_format(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(GOOD)
    sc = load_scenario(path)
    m = sc.model
    assert m.mutations[0].probability == pytest.approx(1e-6)
    assert m.drugs[0].pk.elimination_rate == pytest.approx(0.34657359, rel=1e-6)
    assert sc.strategy.period == 7
    assert m.switches[0].induced[0].emax == 0.01
    kcap, crowd = m.crowding()
    assert kcap.tolist() == [1e6, 2e6]
    assert crowd.tolist() == [[1.0, 0.5], [1.0, 1.0]]


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ("  R: {birth: 0.4, death: 0.1}", "  R: {birth: -0.4, death: 0.1}", 6, "types.R.birth"),
        ("  - {from: S, to: R, sites: 10", "  - {from: S, to: Q, sites: 10", 8, "unknown type 'Q'"),
        ("initial: {S: 100}", "initial: {S: 100}\ncolour: red", 12, "unknown field 'colour'"),
        ("    - {start: 3}", "    - {start: 3, drugs: {y: 1}}", 17, "unknown drug 'y'"),
        ("  S: {birth: 0.5, death: 0.1, drugs", "  S: {birth: 0.5, drugs", 5, "missing 'death'"),
        ("  - {from: S, to: R, sites: 10, rate: 1.0e-7}", "  - {from: S, to: R, sites: 10, rate: 0.5}", 8,
         "exceeds 1"),
    ],
)
def test_errors_name_file_line_and_field(tmp_path, old, new, line, words):
    path = tmp_path / "bad.yaml"
    assert old in GOOD
    path.write_text(GOOD.replace(old, new))
    with pytest.raises(InputError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.startswith(f"{path}, line {line}:"), message
    assert words in message


def test_bolus_needs_pk(tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text(GOOD.replace("  x: {pk: {half_life: 2.0}}", "  x: {}"))
    with pytest.raises(InputError, match="has no 'pk'"):
        load_scenario(path)


def test_yaml_syntax_error_has_line(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("types:\n  S: {birth: 1\ninitial: {S: 1}\n")
    with pytest.raises(InputError, match="line"):
        load_scenario(path)


def test_stop_max_size_is_read(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(GOOD + "stop: {time_limit: 100, max_size: 1.0e+12}\n")
    assert load_scenario(path).stop.max_size == 1e12


def test_stop_max_size_above_the_safe_bound_is_refused(tmp_path):
    # 1e17 is the documented upper bound (about 90x below int64 overflow).
    path = tmp_path / "m.yaml"
    path.write_text(GOOD + "stop: {time_limit: 100, max_size: 1.0e+18}\n")
    # GOOD has 18 lines, so the appended stop section is line 19.
    with pytest.raises(InputError, match=r"m.yaml, line 19: stop.max_size: max_size must be"):
        load_scenario(path)
