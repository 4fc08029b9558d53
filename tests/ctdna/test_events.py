"""Event rules on hand-made series, where the right answer can be read off."""

import numpy as np
import pandas as pd
import pytest

from oncoresist.ctdna import EventRules, call, track

DAYS = [0, 28, 56, 84, 112, 140]


def _series(counts: dict[str, list[int]], depth=10_000, patient="P1"):
    rows = []
    for alteration, alts in counts.items():
        for day, alt in zip(DAYS, alts, strict=True):
            rows.append((patient, f"{patient}-{day}", day, "EGFR", alteration, alt, depth))
    return pd.DataFrame(rows, columns=["patient_id", "sample_id", "day", "gene", "alteration", "alt_reads",
                                       "depth"])


# With an assumed error rate of 1e-4 at depth 10,000 the background mean is 1 read:
# 0-1 reads are not detected (p >= 0.26), 6 reads are (p = 6e-4), 12+ reads are strong (p < 1e-6).
ERROR = 1e-4


def test_two_consecutive_detections_confirm_emergence():
    table = _series({"p.L858R": [500, 50, 5, 0, 30, 300], "p.T790M": [0, 0, 6, 6, 0, 0]})
    therapy = pd.DataFrame({"patient_id": ["P1"], "drug": ["Erlotinib"], "start_day": [0]})
    seen = []

    def annotator(gene, alteration, drugs):
        seen.append((gene, alteration, drugs))
        return f"{gene} {alteration} on {drugs[0]}: test"

    result = track(table, therapy=therapy, annotator=annotator, default_error_rate=ERROR)
    emergence = result.events[result.events["event"] == "emergence"]
    assert emergence[["alteration", "day", "confirmed_day"]].values.tolist() == [["p.T790M", 56.0, 84.0]]
    assert seen == [("EGFR", "p.T790M", ("erlotinib",))]
    assert emergence["annotation"].iloc[0] == "EGFR p.T790M on erlotinib: test"
    clearance = result.events[(result.events["event"] == "clearance") & (result.events["alteration"] == "p.T790M")]
    assert clearance[["day", "confirmed_day"]].values.tolist() == [[112.0, 140.0]]


def test_a_single_detection_is_not_enough_unless_strong():
    weak = _series({"p.T790M": [0, 0, 6, 0, 0, 0]})
    assert "emergence" not in set(track(weak, default_error_rate=ERROR).events["event"])
    strong = _series({"p.T790M": [0, 0, 40, 0, 0, 0]})
    events = track(strong, default_error_rate=ERROR).events
    row = events[events["event"] == "emergence"].iloc[0]
    assert (row["day"], row["confirmed_day"]) == (56.0, 56.0)
    assert "strong evidence" in row["evidence"]


def test_consecutive_rule_is_configurable():
    table = _series({"p.T790M": [0, 6, 6, 0, 6, 6]})
    events = track(table, rules=EventRules(consecutive=3), default_error_rate=ERROR).events
    assert "emergence" not in set(events["event"])


def test_response_nadir_progression_and_lead_time():
    table = _series({"p.L858R": [1000, 400, 50, 0, 6, 200]})
    imaging = pd.DataFrame({"patient_id": ["P1", "P1"], "day": [84, 168], "result": ["PR", "PD"]})
    result = track(table, imaging=imaging, default_error_rate=ERROR)
    events = result.events
    response = events[events["event"] == "molecular_response"].set_index("grade")["day"]
    # Baseline AF 0.1: 0.04 on day 28 is a 60% decline, 0.005 on day 56 a 95% decline,
    # nothing detected on day 84 is clearance.
    assert response.to_dict() == {"decline_50": 28.0, "decline_90": 56.0, "clearance": 84.0}
    nadir = events[events["event"] == "nadir"].iloc[0]
    assert nadir["day"] == 84.0
    progression = events[events["event"] == "molecular_progression"].iloc[0]
    # Rise over the running nadir (AF 0) detected on day 112, confirmed on day 140.
    assert (progression["day"], progression["confirmed_day"]) == (112.0, 140.0)
    summary = result.summary.iloc[0]
    assert summary["lead_time_days"] == 168.0 - 140.0


def test_events_have_the_required_columns():
    events = track(_series({"p.T790M": [0, 6, 6, 6, 6, 6]}), default_error_rate=ERROR).events
    assert {"patient_id", "gene", "alteration", "event", "day", "evidence", "annotation"} <= set(events.columns)


def test_track_accepts_a_call_result():
    called = call(_series({"p.T790M": [0, 6, 6, 6, 6, 6]}), default_error_rate=ERROR)
    events = track(called).events
    assert events.loc[events["event"] == "emergence", "annotation"].iloc[0] == (
        "EGFR p.T790M emerging on no recorded therapy")


def test_rules_are_checked():
    with pytest.raises(ValueError, match="consecutive"):
        EventRules(consecutive=0)
    assert np.isfinite(EventRules().strong_p)
