"""The drug -> microenvironment wiring built from the knowledge base's ``acts_on`` field."""

from __future__ import annotations

import numpy as np
import pytest

from oncoresist import InputError
from oncoresist.evolve.tme import (
    DrugEffect,
    Fibroblasts,
    HGFBypass,
    ImmuneKilling,
    Macrophages,
    TCells,
    TMEModel,
)
from oncoresist.therapy._from_kb import TME_WIRING, model_from_kb, tme_from_kb

BLOCK = DrugEffect(emax=0.95, ec50=0.1)


def _all_terms():
    return [TCells(), ImmuneKilling(checkpoint=10.0), Fibroblasts(activation=0.02, deactivation=0.05),
            HGFBypass(secretion=5.0, clearance=1.0, gamma=1.0, half_saturation=1.0),
            Macrophages(polarisation=0.1, half_burden=1e8, repolarisation=0.05)]


def _drug_maps(tme):
    return {type(t).__name__: dict(getattr(t, attr)) for t in tme.terms
            for kind, attr in TME_WIRING.values() if isinstance(t, kind)}


def test_pembrolizumab_maps_to_the_checkpoint_term_by_any_name():
    for name in ("pembrolizumab", "Keytruda"):
        tme = tme_from_kb([name], _all_terms(), effects={"immune-checkpoint": BLOCK})
        assert _drug_maps(tme) == {"ImmuneKilling": {"pembrolizumab": BLOCK}, "Fibroblasts": {},
                                   "HGFBypass": {}, "Macrophages": {}}


def test_capmatinib_maps_to_the_hgf_bypass_lift():
    tme = tme_from_kb(["capmatinib"], _all_terms(), effects={"hgf-met": {"emax": 1.0}})
    assert _drug_maps(tme)["HGFBypass"] == {"capmatinib": DrugEffect(emax=1.0)}
    assert _drug_maps(tme)["ImmuneKilling"] == {}


def test_capmatinib_lifts_hgf_protection_of_osimertinib_in_the_rates():
    # Hand calculation (docs/tme.md, HGFBypass): divisor 1 + gamma m H/(K + H) (1 - I) with
    # gamma = 4, m = 1, H = K = 2: 1 + 4 * 1/2 = 3 without capmatinib, 1 with I = emax = 1.
    hgf = HGFBypass(secretion=1.0, clearance=0.5, gamma=4.0, half_saturation=2.0, met={"sensitive": 1.0},
                    drugs=["osimertinib"], initial=2.0)
    cm = model_from_kb(["osimertinib", "capmatinib"], ["EGFR C797S"],
                       kill={"osimertinib": 0.04, "capmatinib": 0.0}, tme=[hgf],
                       tme_effects={"hgf-met": {"emax": 1.0}})
    assert isinstance(cm, TMEModel)
    coupling = cm.coupling()
    state = coupling.initial_state(cm)
    coupling._deriv[:] = 0.0  # rates at the state itself, not at the predicted midpoint
    sizes = np.array([1e3, 0.0])
    alone = coupling.modify_rates(cm.rates({"osimertinib": 1.0}), state, sizes=sizes, t=0.0)
    assert alone.death[0] == pytest.approx(0.13 + 0.04 / 3.0, rel=1e-12)
    both = coupling.modify_rates(cm.rates({"osimertinib": 1.0, "capmatinib": 1.0}), state, sizes=sizes, t=0.0)
    assert both.death[0] == pytest.approx(0.13 + 0.04, rel=1e-12)


def test_a_drug_with_the_default_acts_on_the_tumour_only():
    tme = tme_from_kb(["erlotinib"], _all_terms())  # nothing to wire: no effect size needed
    assert all(m == {} for m in _drug_maps(tme).values())
    m = model_from_kb(["erlotinib"], ["EGFR T790M"])
    assert [r.drug for r in m.types[0].responses] == ["erlotinib"]


def test_checkpoint_antibody_has_no_response_of_its_own_in_the_model():
    m = model_from_kb(["osimertinib", "pembrolizumab"], ["EGFR C797S"], kill={"osimertinib": 0.04})
    assert [d.name for d in m.drugs] == ["osimertinib", "pembrolizumab"]
    assert all("pembrolizumab" not in [r.drug for r in t.responses] for t in m.types)
    assert not isinstance(m, TMEModel)


def test_braf_inhibitor_activates_fibroblasts_and_mek_inhibitor_does_not():
    tme = tme_from_kb(["dabrafenib", "trametinib"], _all_terms(),
                      effects={"fibroblast-activation": {"emax": 0.1}})
    assert _drug_maps(tme)["Fibroblasts"] == {"dabrafenib": DrugEffect(emax=0.1)}


def test_missing_effect_size_names_the_compartment():
    with pytest.raises(InputError, match="immune-checkpoint") as info:
        tme_from_kb(["nivolumab"], _all_terms())
    assert info.value.field == "effects.immune-checkpoint"


def test_explicit_entries_win_and_a_drug_effect_beats_the_compartment_one():
    mine = DrugEffect(emax=0.5)
    terms = [TCells(), ImmuneKilling(blockade={"pembrolizumab": mine})]
    tme = tme_from_kb(["pembrolizumab", "nivolumab"], terms,
                      effects={"immune-checkpoint": BLOCK, "nivolumab": {"emax": 0.8}})
    assert dict(tme.terms[1].blockade) == {"pembrolizumab": mine, "nivolumab": DrugEffect(emax=0.8)}


def test_compartment_without_its_term_is_left_out():
    tme = tme_from_kb(["pembrolizumab", "capmatinib"], [Fibroblasts(activation=0.02, deactivation=0.05)])
    assert len(tme.terms) == 1
    assert dict(tme.terms[0].induced_by) == {}


def test_tolerance_of_a_given_tme_is_kept():
    from oncoresist.evolve.tme import TME

    tme = tme_from_kb(["pembrolizumab"], TME([TCells(), ImmuneKilling()], tolerance=0.02),
                      effects={"immune-checkpoint": BLOCK})
    assert tme.tolerance == 0.02
