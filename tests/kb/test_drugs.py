"""Drug names: synonyms, brands, code and salt names all lead to one canonical drug."""

from __future__ import annotations

import pytest

from oncoresist import InputError
from oncoresist.kb import get_drug
from oncoresist.kb._curated import load_drugs
from oncoresist.kb._drugs import drug_key, strip_salts


@pytest.fixture(scope="module")
def index(kb_data):
    return load_drugs(kb_data / "drugs_min.yaml")


@pytest.mark.parametrize(
    "name",
    [
        "imatinib",
        "Imatinib Mesylate",
        "IMATINIB",
        "STI-571",
        "sti571",
        "STI 571",
        "Gleevec",
        "Glivec",
    ],
)
def test_imatinib_synonyms_merge(index, name):
    assert index.find(name) == "imatinib"


def test_salt_words_are_ignored_even_when_not_listed(index):
    # "gefitinib hydrochloride" is not a listed synonym: the salt word is dropped.
    assert index.find("Gefitinib Hydrochloride") == "gefitinib"
    assert strip_salts("Imatinib Mesylate") == "imatinib"
    assert drug_key("OSI-774") == drug_key("osi 774") == "osi774"


def test_unknown_drug_suggests_close_names(index):
    with pytest.raises(InputError) as info:
        index.resolve("osimertinb")
    assert "unknown drug 'osimertinb'" in str(info.value)
    assert "did you mean 'osimertinib'" in str(info.value)


def test_unknown_drug_without_anything_close(index):
    with pytest.raises(InputError) as info:
        index.resolve("zzzz")
    assert "did you mean" not in str(info.value)


def test_class_members_and_generations(index):
    assert index.class_members("egfr tki") == ("erlotinib", "gefitinib", "osimertinib")
    assert index.class_members("EGFR TKI", [1]) == ("erlotinib", "gefitinib")
    assert index.find_class("egfr-tki") == "EGFR TKI"


def test_shipped_drug_list_merges_the_issue_examples():
    imatinib = get_drug("Imatinib Mesylate")
    assert imatinib.name == "imatinib"
    assert get_drug("STI-571") is imatinib or get_drug("STI-571") == imatinib
    assert get_drug("Gleevec") == imatinib
    assert get_drug("AZD9291").name == "osimertinib"
    assert "EGFR" in get_drug("Tagrisso").targets


def test_drug_to_frame_and_write(tmp_path, index):
    drug = index.resolve("erlotinib")
    frame = drug.to_frame()
    assert frame.loc[frame.field == "targets", "value"].item() == "EGFR"
    out = drug.write(tmp_path / "drug.tsv")
    assert out.read_text().startswith("field\tvalue\n")


def test_acts_on_round_trips_and_ships_in_the_compiled_kb():
    from oncoresist import kb
    from oncoresist.kb._drugs import Drug

    drug = Drug("x", acts_on=("tumour", "hgf-met"))
    assert Drug.from_dict(drug.to_dict()) == drug
    assert Drug.from_dict({"name": "y"}).acts_on == ("tumour",)
    assert kb.get_drug("Keytruda").acts_on == ("immune-checkpoint",)
    assert kb.get_drug("capmatinib").acts_on == ("tumour", "hgf-met")
    assert kb.get_drug("erlotinib").acts_on == ("tumour",)
    assert "acts_on" in set(kb.get_drug("capmatinib").to_frame()["field"])
