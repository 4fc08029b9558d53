"""Content checks of the curated knowledge base (drugs, pathway graph, resistance rules).

The YAML is read with PyYAML directly, so that these checks do not depend on the schema or query
code. Expected figures come from the curation brief (issue 2: at least 120 targeted agents,
80-150 curated rules, every mechanism class of DESIGN.md) and from textbook signalling (the
paths and signs asserted below).
"""

from __future__ import annotations

import re
from collections import Counter, deque
from functools import cache
from pathlib import Path

import pytest
import yaml

DATA = Path(__file__).resolve().parents[2] / "src" / "oncoresist" / "kb" / "data"

TARGETED = {"small molecule", "antibody", "antibody-drug conjugate", "hormone therapy"}
MODALITIES = TARGETED | {"chemotherapy", "immunotherapy", "other"}
ROLES = {
    "receptor",
    "adaptor",
    "kinase",
    "gtpase",
    "transcription factor",
    "phosphatase",
    "ligand",
    "regulator",
    "effector",
    "other",
}
MECHANISMS = {
    "on-target",
    "bypass",
    "downstream",
    "phenotypic",
    "microenvironment",
    "pharmacological",
}
EFFECTS = {"resistance", "reduced sensitivity", "sensitivity"}
REFERENCE = re.compile(r"^(PMID:[1-9]\d{0,8}|DOI:10\.\d{4,9}/\S+)$")
GENE = re.compile(r"^[A-Z][A-Z0-9-]*$")
RULE_ID = re.compile(r"^CUR-[A-Z0-9][A-Z0-9.-]*$")
RULE_KEYS = {
    "id",
    "gene",
    "alteration",
    "drugs",
    "drug_class",
    "generation",
    "effect",
    "mechanism",
    "mechanism_override",
    "disease",
    "evidence_level",
    "confidence",
    "references",
    "alternatives",
    "requires",
    "phase",
    "note",
}


@cache
def _load(name: str) -> dict:
    with (DATA / name).open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def drugs() -> list[dict]:
    return _load("drugs.yaml")["drugs"]


def graph() -> dict:
    return _load("pathways.yaml")


def rules() -> list[dict]:
    return _load("rules.yaml")["rules"]


def drug_index() -> dict[str, dict]:
    """Canonical name and every synonym (case-folded) -> drug entry."""
    index = {}
    for drug in drugs():
        for label in [drug["name"], *drug.get("synonyms", [])]:
            index[label.casefold()] = drug
    return index


def nodes() -> set[str]:
    return {node["gene"] for node in graph()["nodes"]}


def edges() -> dict[tuple[str, str], str]:
    return {(e["source"], e["target"]): e["sign"] for e in graph()["edges"]}


def activating_reach(start: str, *, avoid: frozenset[str] = frozenset()) -> set[str]:
    """Nodes that ``start`` activates through a path of net positive sign, avoiding ``avoid``.

    Signs multiply along a path (two inhibitions activate: AKT -| TSC2 -| RHEB -> MTOR), so the
    search walks (node, parity) states.
    """
    successors: dict[str, list[tuple[str, int]]] = {}
    for (source, target), sign in edges().items():
        successors.setdefault(source, []).append((target, 1 if sign == "activates" else -1))
    seen = {(start, 1)}
    queue = deque([(start, 1)])
    while queue:
        here, parity = queue.popleft()
        for there, sign in successors.get(here, []):
            state = (there, parity * sign)
            if there not in avoid and state not in seen:
                seen.add(state)
                queue.append(state)
    return {node for node, parity in seen if parity == 1} - {start}


def rule_drugs(rule: dict) -> set[str]:
    """Canonical names of the drugs a rule is about (explicit list or class plus generations)."""
    index = drug_index()
    names = {index[d.casefold()]["name"] for d in rule.get("drugs", [])}
    if rule.get("drug_class"):
        generation = rule.get("generation")
        wanted = {generation} if isinstance(generation, int) else set(generation or [])
        for drug in drugs():
            if drug["class"] != rule["drug_class"]:
                continue
            if wanted and drug.get("generation") not in wanted:
                continue
            names.add(drug["name"])
    return names


def rule_by_id(rule_id: str) -> dict:
    matches = [r for r in rules() if r["id"] == rule_id]
    assert len(matches) == 1, rule_id
    return matches[0]


def find_rules(gene: str | None, alteration: str, drug: str) -> list[dict]:
    return [
        r
        for r in rules()
        if r.get("gene") == gene and r["alteration"] == alteration and drug in rule_drugs(r)
    ]


# ----------------------------------------------------------------------------- drugs


def test_files_have_schema_version_1():
    for name in ("drugs.yaml", "pathways.yaml", "rules.yaml"):
        assert _load(name)["schema_version"] == 1, name


def test_at_least_120_targeted_agents_plus_immuno_and_chemotherapy():
    modalities = Counter(d["modality"] for d in drugs())
    assert set(modalities) <= MODALITIES
    assert sum(modalities[m] for m in TARGETED) >= 120
    classes = {d["class"] for d in drugs()}
    for needed in ("anti-PD-1 antibody", "anti-PD-L1 antibody", "anti-CTLA-4 antibody"):
        assert needed in classes
    names = {d["name"] for d in drugs()}
    for chemo in ("cisplatin", "carboplatin", "pemetrexed", "paclitaxel", "docetaxel", "etoposide"):
        assert chemo in names


def test_canonical_names_are_lower_case_and_entries_complete():
    for drug in drugs():
        assert drug["name"] == drug["name"].lower(), drug["name"]
        assert drug["name"] == drug["name"].strip()
        assert drug["class"].strip()
        assert drug["modality"] in MODALITIES
        assert isinstance(drug.get("synonyms", []), list)
        generation = drug.get("generation")
        assert generation is None or (isinstance(generation, int) and 1 <= generation <= 4)


def test_no_name_or_synonym_is_shared_by_two_drugs():
    owners: dict[str, set[str]] = {}
    for drug in drugs():
        for label in {drug["name"], *drug.get("synonyms", [])}:
            owners.setdefault(label.casefold(), set()).add(drug["name"])
    clashes = {label: who for label, who in owners.items() if len(who) > 1}
    assert clashes == {}


def test_targets_are_hgnc_like_symbols():
    for drug in drugs():
        for target in drug.get("targets", []):
            assert GENE.match(target), (drug["name"], target)
        if drug["modality"] != "chemotherapy":
            assert drug.get("targets"), drug["name"]


@pytest.mark.parametrize(
    ("name", "drug_class", "generation", "synonyms"),
    [
        ("gefitinib", "EGFR TKI", 1, ["Iressa", "ZD1839"]),
        ("erlotinib", "EGFR TKI", 1, ["Tarceva"]),
        ("afatinib", "EGFR TKI", 2, ["Gilotrif"]),
        ("dacomitinib", "EGFR TKI", 2, []),
        ("osimertinib", "EGFR TKI", 3, ["Tagrisso", "AZD9291", "osimertinib mesylate"]),
        ("eai045", "EGFR TKI", 4, []),
        ("crizotinib", "ALK TKI", 1, ["Xalkori", "PF-02341066"]),
        ("alectinib", "ALK TKI", 2, []),
        ("lorlatinib", "ALK TKI", 3, ["PF-06463922"]),
        ("imatinib", "BCR-ABL1 TKI", 1, ["Gleevec", "imatinib mesylate", "STI-571", "STI571"]),
        ("nilotinib", "BCR-ABL1 TKI", 2, []),
        ("ponatinib", "BCR-ABL1 TKI", 3, ["AP24534"]),
        ("asciminib", "BCR-ABL1 allosteric inhibitor", None, ["ABL001"]),
        ("larotrectinib", "TRK TKI", 1, ["LOXO-101"]),
        ("selitrectinib", "TRK TKI", 2, ["LOXO-195"]),
        ("gilteritinib", "FLT3 TKI", 2, ["ASP2215"]),
        ("sotorasib", "KRAS G12C inhibitor", None, ["AMG 510", "Lumakras"]),
        ("elacestrant", "SERD", None, ["RAD1901"]),
        ("letrozole", "aromatase inhibitor", None, ["Femara"]),
        ("enzalutamide", "antiandrogen", 2, ["MDV3100"]),
        ("abiraterone", "androgen synthesis inhibitor", None, ["abiraterone acetate"]),
        ("trastuzumab deruxtecan", "anti-HER2 ADC", None, ["T-DXd", "DS-8201"]),
        ("pembrolizumab", "anti-PD-1 antibody", None, ["Keytruda", "MK-3475"]),
    ],
)
def test_key_drugs(name, drug_class, generation, synonyms):
    drug = drug_index()[name]
    assert drug["class"] == drug_class
    assert drug.get("generation") == generation
    for synonym in synonyms:
        assert drug_index()[synonym.casefold()]["name"] == name


def test_btk_inhibitors_are_marked_covalent_or_not():
    notes = {d["name"]: d.get("notes", "") for d in drugs() if d["class"] == "BTK inhibitor"}
    for covalent in ("ibrutinib", "acalabrutinib", "zanubrutinib"):
        assert "covalent at BTK C481" in notes[covalent]
    for reversible in ("pirtobrutinib", "nemtabrutinib"):
        assert notes[reversible].startswith("non-covalent")


def test_required_families_are_present():
    classes = Counter(d["class"] for d in drugs())
    for family, minimum in {
        "EGFR TKI": 10,
        "ALK TKI": 5,
        "MET TKI": 3,
        "RET TKI": 2,
        "TRK TKI": 3,
        "FGFR TKI": 3,
        "KIT/PDGFRA TKI": 2,
        "FLT3 TKI": 3,
        "BCR-ABL1 TKI": 5,
        "BTK inhibitor": 4,
        "BCL2 inhibitor": 1,
        "BRAF inhibitor": 3,
        "MEK inhibitor": 4,
        "ERK inhibitor": 1,
        "KRAS G12C inhibitor": 2,
        "PI3K inhibitor": 3,
        "AKT inhibitor": 1,
        "mTOR inhibitor": 2,
        "CDK4/6 inhibitor": 3,
        "PARP inhibitor": 4,
        "SERM": 2,
        "SERD": 3,
        "aromatase inhibitor": 3,
        "antiandrogen": 4,
        "HER2 TKI": 3,
        "anti-HER2 antibody": 2,
        "anti-HER2 ADC": 2,
        "JAK inhibitor": 2,
        "VEGFR multikinase inhibitor": 6,
        "SHP2 inhibitor": 1,
        "SOS1 inhibitor": 1,
        "anti-EGFR antibody": 2,
    }.items():
        assert classes[family] >= minimum, family
    assert any(d["class"].startswith("IDH") for d in drugs())
    generations = {
        d["generation"] for d in drugs() if d["class"] == "EGFR TKI" and d.get("generation")
    }
    assert generations == {1, 2, 3, 4}


# ----------------------------------------------------------------------------- pathway graph


def test_nodes_are_unique_with_valid_roles():
    genes = [n["gene"] for n in graph()["nodes"]]
    assert len(genes) == len(set(genes))
    for node in graph()["nodes"]:
        assert GENE.match(node["gene"]), node["gene"]
        assert node["role"] in ROLES, node
        assert node.get("pathways"), node["gene"]


def test_edges_connect_known_nodes_once_without_self_loops():
    seen = set()
    for edge in graph()["edges"]:
        key = (edge["source"], edge["target"])
        assert key not in seen, key
        seen.add(key)
        assert edge["source"] in nodes(), key
        assert edge["target"] in nodes(), key
        assert edge["source"] != edge["target"], key
        assert edge["sign"] in {"activates", "inhibits"}
        for reference in edge.get("references", []):
            assert REFERENCE.match(reference), reference


def test_every_non_chemotherapy_target_is_a_graph_node():
    missing = {
        (d["name"], t)
        for d in drugs()
        if d["modality"] != "chemotherapy"
        for t in d.get("targets", [])
        if t not in nodes()
    }
    assert missing == set()


def test_graph_covers_the_genes_named_in_the_issue():
    required = {
        "EGFR", "ERBB2", "ERBB3", "MET", "ALK", "ROS1", "RET", "FGFR1", "FGFR2", "FGFR3",
        "FGFR4", "KIT", "PDGFRA", "FLT3", "NTRK1", "NTRK2", "NTRK3", "IGF1R", "AXL",
        "GRB2", "SOS1", "PTPN11", "GAB1", "KRAS", "NRAS", "HRAS", "ARAF", "BRAF", "RAF1",
        "MAP2K1", "MAP2K2", "MAPK1", "MAPK3", "PIK3CA", "PIK3CB", "PIK3R1", "PDPK1", "AKT1",
        "AKT2", "AKT3", "MTOR", "PTEN", "TSC1", "TSC2", "NF1", "JAK1", "JAK2", "STAT3",
        "STAT5A", "CCND1", "CDK4", "CDK6", "RB1", "E2F1", "CDKN2A", "ESR1", "AR", "BCR",
        "ABL1", "BTK", "PLCG2", "SYK", "BCL2", "MCL1", "BAX", "PARP1", "BRCA1", "BRCA2",
        "TP53BP1", "HGF", "NRG1", "FGF2",
    }  # fmt: skip
    assert required - nodes() == set()


def test_effectors_are_nodes_and_include_the_pathway_outputs():
    effectors = set(graph()["effectors"])
    assert effectors <= nodes()
    assert {"MAPK1", "MAPK3", "AKT1", "MTOR", "STAT3", "STAT5A", "E2F1"} <= effectors


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("EGFR", "MAPK1"),  # EGFR-GRB2-SOS1-RAS-RAF-MEK-ERK
        ("EGFR", "AKT1"),  # EGFR-GAB1-PI3K-AKT
        ("EGFR", "MTOR"),
        ("MET", "AKT1"),
        ("ALK", "STAT3"),
        ("BCR", "STAT5A"),  # BCR::ABL1
        ("BCR", "MAPK1"),
        ("FLT3", "STAT5A"),
        ("KRAS", "MAPK3"),
        ("BTK", "NFKB1"),
        ("HGF", "MAPK1"),  # ligand-driven bypass
        ("NRG1", "AKT1"),
        ("CYP19A1", "ESR1"),
        ("CCND1", "CDK4"),
    ],
)
def test_activating_paths_exist(source, target):
    assert target in activating_reach(source)


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("NF1", "KRAS"),
        ("NF1", "NRAS"),
        ("NF1", "HRAS"),
        ("PTEN", "AKT1"),
        ("TSC2", "RHEB"),
        ("TSC1", "RHEB"),
        ("CDKN2A", "CDK4"),
        ("CDKN2A", "CDK6"),
        ("CDK4", "RB1"),
        ("RB1", "E2F1"),
        ("BCL2", "BAX"),
        ("MDM2", "TP53"),
        ("TP53BP1", "BRCA1"),
        ("PIK3R1", "PIK3CA"),
    ],
)
def test_inhibitory_edges(source, target):
    assert edges()[(source, target)] == "inhibits"


def test_no_activating_edge_runs_backwards_in_the_core_cascade():
    # MAPK cascade order: RAS -> RAF -> MEK -> ERK; reverse activation would make "downstream"
    # calls meaningless (ERK -| SOS1 is negative feedback and is allowed).
    for source, target in [
        ("MAPK1", "MAP2K1"),
        ("MAP2K1", "BRAF"),
        ("BRAF", "KRAS"),
        ("AKT1", "PIK3CA"),
    ]:
        assert (source, target) not in edges()
    assert edges()[("MAPK1", "SOS1")] == "inhibits"


def test_met_and_erbb2_reach_egfr_effectors_without_egfr():
    # The definition of bypass in the issue: a parallel receptor reaching the same effectors.
    effectors = set(graph()["effectors"])
    through_egfr = activating_reach("EGFR") & effectors
    for receptor in ("MET", "ERBB2", "AXL", "FGFR1", "IGF1R"):
        around = activating_reach(receptor, avoid=frozenset({"EGFR"})) & effectors
        assert {"MAPK1", "AKT1"} <= around & through_egfr, receptor


# ----------------------------------------------------------------------------- rules


def test_rule_count_and_ids():
    ids = [r["id"] for r in rules()]
    assert 80 <= len(ids) <= 150
    assert len(ids) == len(set(ids))
    for rule_id in ids:
        assert RULE_ID.match(rule_id), rule_id


def test_rules_use_only_contract_keys_and_values():
    for rule in rules():
        assert set(rule) <= RULE_KEYS, (rule["id"], set(rule) - RULE_KEYS)
        assert rule["effect"] in EFFECTS, rule["id"]
        assert rule.get("mechanism") in MECHANISMS, rule["id"]
        assert rule["evidence_level"] in {"A", "B", "C", "D", "E"}, rule["id"]
        assert rule["confidence"] in {"high", "medium", "low"}, rule["id"]
        assert rule.get("phase") in {None, "cis", "trans"}, rule["id"]
        if rule.get("phase"):
            assert rule.get("requires"), rule["id"]
        if rule.get("generation") is not None:
            assert rule.get("drug_class"), rule["id"]
        if rule.get("mechanism_override"):
            assert rule.get("note"), rule["id"]
        gene = rule.get("gene")
        assert gene is None or GENE.match(gene), rule["id"]
        if gene is None:
            assert rule["alteration"].startswith(("phenotype: ", "histology: ")), rule["id"]


def test_every_mechanism_class_is_covered():
    counts = Counter(r["mechanism"] for r in rules())
    assert set(counts) == MECHANISMS
    for mechanism in MECHANISMS:
        assert counts[mechanism] >= 5, mechanism


def test_rule_drugs_and_alternatives_resolve_to_known_drugs():
    index = drug_index()
    classes = {d["class"] for d in drugs()}
    for rule in rules():
        for name in [*rule.get("drugs", []), *rule.get("alternatives", [])]:
            assert name.casefold() in index, (rule["id"], name)
        if rule.get("drug_class"):
            assert rule["drug_class"] in classes, rule["id"]
        assert rule_drugs(rule), rule["id"]


def test_alternatives_are_not_among_the_drugs_a_rule_defeats():
    index = drug_index()
    for rule in rules():
        alternatives = {index[a.casefold()]["name"] for a in rule.get("alternatives", [])}
        assert not alternatives & rule_drugs(rule), rule["id"]
        if rule["effect"] == "sensitivity":
            assert not alternatives, rule["id"]


def test_references_are_well_formed_and_back_high_confidence():
    for rule in rules():
        references = rule.get("references", [])
        assert len(references) == len(set(references)), rule["id"]
        for reference in references:
            assert REFERENCE.match(reference), (rule["id"], reference)
        if rule["confidence"] == "high":
            assert references, f"{rule['id']}: high confidence needs a checked reference"


def test_requires_name_a_gene_and_an_alteration():
    for rule in rules():
        for required in rule.get("requires", []):
            gene, _, alteration = required.partition(" ")
            assert GENE.match(gene), (rule["id"], required)
            assert alteration, (rule["id"], required)


# The mechanisms the issue asks for by name, as (gene, alteration, a drug it defeats, mechanism).
REQUIRED_RULES = [
    ("EGFR", "T790M", "erlotinib", "on-target"),
    ("EGFR", "T790M", "afatinib", "on-target"),
    ("EGFR", "C797S", "osimertinib", "on-target"),
    ("EGFR", "L718Q", "osimertinib", "on-target"),
    ("ALK", "G1202R", "alectinib", "on-target"),
    ("ABL1", "T315I", "nilotinib", "on-target"),
    ("ESR1", "Y537/D538", "letrozole", "on-target"),
    ("BTK", "C481X", "ibrutinib", "on-target"),
    ("KIT", "V654A", "imatinib", "on-target"),
    ("KRAS", "Y96D", "sotorasib", "on-target"),
    ("ROS1", "G2032R", "crizotinib", "on-target"),
    ("RET", "G810X", "selpercatinib", "on-target"),
    ("FLT3", "F691L", "gilteritinib", "on-target"),
    ("FLT3", "D835X", "quizartinib", "on-target"),
    ("AR", "F877L", "enzalutamide", "on-target"),
    ("BCL2", "G101V", "venetoclax", "on-target"),
    ("MET", "D1228X", "capmatinib", "on-target"),
    ("NTRK1", "G595R", "larotrectinib", "on-target"),
    ("MET", "amplification", "osimertinib", "bypass"),
    ("MET", "amplification", "erlotinib", "bypass"),
    ("ERBB2", "amplification", "erlotinib", "bypass"),
    ("FGFR1", "amplification", "tamoxifen", "bypass"),
    ("AXL", "overexpression", "osimertinib", "bypass"),
    ("KRAS", "G12/G13", "cetuximab", "downstream"),
    ("NRAS", "A59/Q61", "panitumumab", "downstream"),
    ("BRAF", "V600E", "osimertinib", "downstream"),
    ("NRAS", "Q61X", "vemurafenib", "bypass"),
    ("MAP2K1", "mutation", "dabrafenib", "downstream"),
    ("PIK3CA", "mutation", "trastuzumab", "downstream"),
    ("PTEN", "loss-of-function", "alpelisib", "downstream"),
    ("NF1", "loss-of-function", "erlotinib", "downstream"),
    ("NF1", "loss-of-function", "vemurafenib", "bypass"),
    ("RB1", "loss-of-function", "palbociclib", "downstream"),
    (None, "phenotype: EMT", "erlotinib", "phenotypic"),
    (None, "histology: SCLC transformation", "osimertinib", "phenotypic"),
    (None, "histology: squamous transformation", "osimertinib", "phenotypic"),
    (None, "phenotype: drug-tolerant persisters", "gefitinib", "phenotypic"),
    (None, "histology: neuroendocrine transformation", "enzalutamide", "phenotypic"),
    ("HGF", "overexpression", "vemurafenib", "microenvironment"),
    ("HGF", "overexpression", "osimertinib", "microenvironment"),
    (None, "phenotype: hypoxia", "cisplatin", "microenvironment"),
    (None, "phenotype: TAM infiltration", "vemurafenib", "microenvironment"),
    ("ABCB1", "overexpression", "paclitaxel", "pharmacological"),
    ("ABCG2", "overexpression", "topotecan", "pharmacological"),
    (None, "phenotype: strong CYP3A4 inducer co-medication", "osimertinib", "pharmacological"),
    (None, "phenotype: CNS metastasis", "crizotinib", "pharmacological"),
]


@pytest.mark.parametrize(("gene", "alteration", "drug", "mechanism"), REQUIRED_RULES)
def test_required_mechanisms_are_curated(gene, alteration, drug, mechanism):
    found = [r for r in find_rules(gene, alteration, drug) if r["effect"] != "sensitivity"]
    assert found, (gene, alteration, drug)
    assert {r["mechanism"] for r in found} == {mechanism}


def test_t790m_spares_third_generation_and_points_to_it():
    rule = rule_by_id("CUR-EGFR-T790M-1G2G")
    defeated = rule_drugs(rule)
    assert {"gefitinib", "erlotinib", "icotinib", "afatinib", "dacomitinib"} == defeated
    assert "osimertinib" in rule["alternatives"]
    assert "PMID:15737014" in rule["references"]
    assert "PMID:15728811" in rule["references"]


def test_c797s_phase_with_t790m():
    cis = rule_by_id("CUR-EGFR-C797S-CIS-T790M")
    trans = rule_by_id("CUR-EGFR-C797S-TRANS-T790M")
    assert cis["requires"] == trans["requires"] == ["EGFR T790M"]
    assert (cis["phase"], trans["phase"]) == ("cis", "trans")
    # In cis nothing in the EGFR TKI class is left; in trans first-generation drugs rescue.
    assert {"gefitinib", "erlotinib", "afatinib", "osimertinib"} <= rule_drugs(cis)
    assert not {"gefitinib", "erlotinib"} & rule_drugs(trans)
    assert {"gefitinib", "erlotinib"} <= set(trans["alternatives"])
    assert "osimertinib" in rule_drugs(trans)


@pytest.mark.parametrize(
    ("rule_id", "still_active"),
    [
        ("CUR-ALK-G1202R", "lorlatinib"),
        ("CUR-ABL1-T315I", "ponatinib"),
        ("CUR-ABL1-T315I", "asciminib"),
        ("CUR-BTK-C481S-COVALENT", "pirtobrutinib"),
        ("CUR-ROS1-G2032R", "repotrectinib"),
        ("CUR-NTRK1-G595R", "selitrectinib"),
        ("CUR-FLT3-D835-TYPE-II", "gilteritinib"),
        ("CUR-AR-F877L-ENZA-APA", "darolutamide"),
        ("CUR-KRAS-H95-ADAGRASIB", "sotorasib"),
        ("CUR-PDGFRA-D842V", "avapritinib"),
        ("CUR-MET-D1228-TYPE-I", "cabozantinib"),
        ("CUR-ESR1-LBD-AI", "elacestrant"),
        ("CUR-KIT-ALOOP-IMATINIB-SUNITINIB", "ripretinib"),
    ],
)
def test_alternatives_that_remain_active(rule_id, still_active):
    rule = rule_by_id(rule_id)
    assert still_active in rule["alternatives"]
    assert still_active not in rule_drugs(rule)


def test_sensitivity_rules_exist_for_the_main_alternatives():
    sensitive = {
        (r.get("gene"), r["alteration"], d)
        for r in rules()
        if r["effect"] == "sensitivity"
        for d in rule_drugs(r)
    }
    for expected in [
        ("EGFR", "T790M", "osimertinib"),
        ("ABL1", "T315I", "ponatinib"),
        ("BTK", "C481X", "pirtobrutinib"),
        ("FLT3", "D835X", "gilteritinib"),
        ("ALK", "G1202R", "lorlatinib"),
    ]:
        assert expected in sensitive


def test_curated_overrides_are_where_the_graph_would_disagree():
    overridden = {r["id"] for r in rules() if r.get("mechanism_override")}
    # Aromatase and CYP17A1 inhibitors act through ESR1/AR: receptor mutations are on-target.
    assert "CUR-ESR1-LBD-AI" in overridden
    assert "CUR-AR-L702H-T878A-ABIRATERONE" in overridden
    # Stromal HGF is a microenvironment mechanism although HGF -> MET is a bypass route.
    assert "CUR-HGF-STROMA-BRAFI" in overridden


def test_alterations_parse_with_the_project_parser_when_available():
    variants = pytest.importorskip("oncoresist.variants")
    for rule in rules():
        parsed = variants.parse_alteration(rule.get("gene"), rule["alteration"])
        assert str(parsed), rule["id"]
        for required in rule.get("requires", []):
            assert str(variants.parse_alteration(None, required)), (rule["id"], required)


def test_a_rule_never_matches_the_allele_it_requires():
    # "New KRAS allele on a G12C inhibitor" must not fire on G12C itself: a rule whose pattern
    # matched its own required alteration would flag every tumour carrying that alteration.
    variants = pytest.importorskip("oncoresist.variants")
    for rule in rules():
        pattern = variants.parse_alteration(rule.get("gene"), rule["alteration"])
        for required in rule.get("requires", []):
            assert not pattern.matches(variants.parse_alteration(None, required)), rule["id"]


@pytest.mark.parametrize(
    ("rule_id", "observed", "expected"),
    [
        ("CUR-ESR1-LBD-AI", "ESR1 p.Y537S", True),
        ("CUR-ESR1-LBD-AI", "ESR1 p.D538G", True),
        ("CUR-ESR1-LBD-AI", "ESR1 p.E380Q", False),
        ("CUR-KRAS-G13-Q61-ON-G12CI", "KRAS p.Q61H", True),
        ("CUR-KRAS-G13-Q61-ON-G12CI", "KRAS p.G12C", False),
        ("CUR-KIT-ALOOP-IMATINIB-SUNITINIB", "KIT p.N822K", True),
        ("CUR-KIT-ALOOP-IMATINIB-SUNITINIB", "KIT p.V654A", False),
        ("CUR-BTK-C481S-COVALENT", "BTK p.C481R", True),
        ("CUR-EGFR-T790M-1G2G", "EGFR p.T790M", True),
    ],
)
def test_rule_patterns_match_what_they_should(rule_id, observed, expected):
    variants = pytest.importorskip("oncoresist.variants")
    rule = rule_by_id(rule_id)
    pattern = variants.parse_alteration(rule["gene"], rule["alteration"])
    assert pattern.matches(variants.Alteration.parse(observed)) is expected


# ---------------------------------------------------------------------- compartments (acts_on)
# The rules of docs/kb-curation.md ("Compartments"), written out independently of the YAML:
# checkpoint antibodies act on the checkpoint only; MET inhibitors (not the MET ADC) add hgf-met;
# VEGF(R) inhibitors add angiogenesis (the VEGF/VEGFR2 antibodies act on it only); the
# paradox-inducing V600 BRAF inhibitors add fibroblast-activation (Hirata et al. 2015 Cancer
# Cell 27:574: PLX4720 paradoxically activates melanoma-associated fibroblasts).
COMPARTMENTS = {
    "tumour",
    "immune-checkpoint",
    "fibroblast-activation",
    "hgf-met",
    "macrophages",
    "angiogenesis",
}
CHECKPOINT_CLASSES = {"anti-PD-1 antibody", "anti-PD-L1 antibody", "anti-CTLA-4 antibody"}


def _acts_on(drug: dict) -> set[str]:
    return set(drug.get("acts_on", ["tumour"]))


def test_acts_on_uses_the_closed_vocabulary_without_repeats():
    for drug in drugs():
        values = drug.get("acts_on", ["tumour"])
        assert values, drug["name"]
        assert set(values) <= COMPARTMENTS, drug["name"]
        assert len(values) == len(set(values)), drug["name"]


def test_checkpoint_antibodies_act_on_the_checkpoint_only():
    members = [d for d in drugs() if d["class"] in CHECKPOINT_CLASSES]
    assert {d["name"] for d in members} >= {"pembrolizumab", "nivolumab", "atezolizumab",
                                             "durvalumab", "ipilimumab"}
    for drug in members:
        assert _acts_on(drug) == {"immune-checkpoint"}, drug["name"]
    others = [d["name"] for d in drugs()
              if "immune-checkpoint" in _acts_on(d) and d["class"] not in CHECKPOINT_CLASSES]
    assert others == []


def test_met_inhibitors_lift_the_hgf_bypass():
    for drug in drugs():
        met = "MET" in drug.get("targets", []) and drug["modality"] != "antibody-drug conjugate"
        assert ("hgf-met" in _acts_on(drug)) == met, drug["name"]
    for name in ("capmatinib", "tepotinib", "savolitinib", "crizotinib", "cabozantinib"):
        assert {"tumour", "hgf-met"} <= _acts_on(drug_index()[name]), name


def test_vegf_pathway_inhibitors_act_on_angiogenesis():
    for drug in drugs():
        vegf = bool({"KDR", "VEGFA"} & set(drug.get("targets", [])))
        assert ("angiogenesis" in _acts_on(drug)) == vegf, drug["name"]
    assert _acts_on(drug_index()["bevacizumab"]) == {"angiogenesis"}
    assert _acts_on(drug_index()["sunitinib"]) == {"tumour", "angiogenesis"}


def test_fibroblast_activation_only_for_paradox_inducing_braf_inhibitors():
    activating = {d["name"] for d in drugs() if "fibroblast-activation" in _acts_on(d)}
    assert activating == {"vemurafenib", "dabrafenib", "encorafenib"}
    # plixorafenib is a paradox breaker: Hirata's mechanism (paradoxical activation) does not apply
    assert "fibroblast-activation" not in _acts_on(drug_index()["plixorafenib"])


def test_drugs_without_acts_on_are_tumour_only_and_chemotherapy_is_direct():
    for drug in drugs():
        if drug["modality"] in {"chemotherapy", "hormone therapy"}:
            assert _acts_on(drug) == {"tumour"}, drug["name"]
    assert _acts_on(drug_index()["erlotinib"]) == {"tumour"}
