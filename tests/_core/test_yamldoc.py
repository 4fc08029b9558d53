"""The YAML-with-lines loader: data, lines of fields, and one clear error per broken file.

Every expected line number is counted by hand in the text written by the test (line 1 is the
first line of the string).
"""

from __future__ import annotations

import pytest

from oncoresist._core.exceptions import InputError
from oncoresist._core.yamldoc import (
    YamlDocument,
    YamlWording,
    load_yaml_document,
)

NESTED = """\
name: demo
types:
  S:
    birth: 0.5
    death: 0.1
  R: {birth: 0.4, death: 0.2}
schedule:
  - {start: 0, drugs: {x: 1}}
  -
    start: 3
    drugs: [a, b]
"""


def _write(tmp_path, text: str, name: str = "f.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_data_is_plain_and_values_are_read_as_usual(tmp_path):
    doc = load_yaml_document(_write(tmp_path, NESTED))
    assert doc.data["types"]["S"] == {"birth": 0.5, "death": 0.1}
    assert doc.data["schedule"][1] == {"start": 3, "drugs": ["a", "b"]}
    assert type(doc.data["types"]) is dict
    # values keep YAML's reading: a boolean stays a boolean, 1e-9 (no dot) stays text in YAML 1.1
    doc = load_yaml_document("x.yaml", text="a: true\nb: 1e-9\nc: null\n")
    assert doc.data == {"a": True, "b": "1e-9", "c": None}


def test_line_of_nested_fields_in_mappings_and_lists(tmp_path):
    doc = load_yaml_document(_write(tmp_path, NESTED))
    assert doc.line_of("name") == 1
    assert doc.line_of("types") == 2
    assert doc.line_of("types.S") == 3
    assert doc.line_of("types.S.death") == 5
    assert doc.line_of("types.R.death") == 6  # flow mapping: same line as its key
    assert doc.line_of("schedule[0]") == 8
    assert doc.line_of("schedule[0].drugs.x") == 8
    assert doc.line_of("schedule[1].start") == 10
    assert doc.line_of("schedule[1].drugs[1]") == 11
    # a field not written falls back to the nearest enclosing one; the document has no line
    assert doc.line_of("types.S.hill") == 3
    assert doc.line_of("schedule[1].drugs[7]") == 11
    assert doc.line_of("") is None


def test_lines_at_value_point_where_a_block_value_starts(tmp_path):
    doc = load_yaml_document(_write(tmp_path, NESTED), lines="value")
    assert doc.line_of("types") == 3  # the block mapping below 'types:' starts on line 3
    assert doc.line_of("types.S") == 4
    assert doc.line_of("types.S.death") == 5  # a scalar starts on its key's line


def test_on_off_yes_no_keys_are_kept_as_written():
    doc = load_yaml_document("s.yaml", text="cycle:\n  on: 14\n  off: 7\nyes: 1\nno: 2\nnull: 3\n1.50: 4\n")
    assert doc.data == {"cycle": {"on": 14, "off": 7}, "yes": 1, "no": 2, "null": 3, "1.50": 4}
    assert all(isinstance(k, str) for k in doc.data)
    assert doc.line_of("cycle.off") == 3


def test_broken_yaml_names_file_and_line(tmp_path):
    # the flow mapping opened on line 2 is found unclosed at the start of line 3
    path = _write(tmp_path, "types:\n  S: {birth: 1\ninitial: {S: 1}\n")
    with pytest.raises(InputError) as info:
        load_yaml_document(path)
    assert info.value.line == 3
    assert info.value.path == str(path)
    assert info.value.message.startswith("not valid YAML: ")
    assert info.value.message.endswith("; fix the syntax")


def test_syntax_wording_can_include_the_context(tmp_path):
    path = _write(tmp_path, "a: [1\nb: 2\n")
    wording = YamlWording(syntax="is not valid YAML: {problem}{context}; check it")
    with pytest.raises(InputError, match=r"is not valid YAML: .* \(while parsing a flow sequence\); check it"):
        load_yaml_document(path, wording=wording)


@pytest.mark.parametrize(
    ("text", "field", "first"),
    [
        ("types:\n  S: {birth: 1}\n  R: {birth: 2}\n  S: {birth: 3}\n", "types.S", 2),
        ("rules:\n  - id: a\n    effect: x\n    effect: y\n", "rules[0].effect", 3),
    ],
)
def test_duplicate_key_is_refused_at_its_second_line(tmp_path, text, field, first):
    path = _write(tmp_path, text)
    key = field.rsplit(".", 1)[-1]
    with pytest.raises(InputError) as info:
        load_yaml_document(path)
    assert (info.value.line, info.value.field) == (4, field)
    assert info.value.message == f"{field}: field {key!r} appears twice"
    wording = YamlWording(duplicate="key {key!r} appears twice (first on line {first})")
    with pytest.raises(InputError) as info:
        load_yaml_document(path, wording=wording)
    assert info.value.message == f"key {key!r} appears twice (first on line {first})"


def test_empty_file_is_refused_with_the_hint_or_allowed(tmp_path):
    path = _write(tmp_path, "# only a comment\n")
    with pytest.raises(InputError) as info:
        load_yaml_document(path, what="model file", empty_hint="it needs at least 'types'")
    assert str(info.value) == f"{path}: the model file is empty; it needs at least 'types'"
    assert load_yaml_document(path).data is None


def test_missing_and_non_utf8_files(tmp_path):
    with pytest.raises(InputError, match="cannot read the scenario file: No such file"):
        load_yaml_document(tmp_path / "absent.yaml", what="scenario file")
    with pytest.raises(InputError, match="file not found; check the path"):
        load_yaml_document(tmp_path / "absent.yaml", wording=YamlWording(not_found="file not found; check the path"))
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="is not UTF-8 text .*; save it as UTF-8"):
        load_yaml_document(path)


def test_non_text_key_and_unknown_tag_are_input_errors():
    with pytest.raises(InputError, match="key must be plain text") as info:
        load_yaml_document("k.yaml", text="a:\n  ? [1, 2]\n  : x\n")
    assert info.value.line == 2
    with pytest.raises(InputError, match="not valid YAML") as info:
        load_yaml_document("t.yaml", text="a: !python/name:os.system x\n")
    assert info.value.line == 1


def test_fail_mapping_and_only_name_field_and_line():
    doc = load_yaml_document("m.yaml", text="model:\n  drugs: [a]\n  colour: red\n")
    with pytest.raises(InputError) as info:
        doc.only(doc.mapping(doc.data["model"], "model"), {"drugs"}, "model")
    assert str(info.value) == "m.yaml, line 3: model.colour: unknown field 'colour'; allowed here: drugs"
    assert info.value.field == "model.colour"
    with pytest.raises(InputError, match=r"line 2: model\.drugs: expected a mapping .*found list"):
        doc.mapping(doc.data["model"]["drugs"], "model.drugs")
    with pytest.raises(InputError) as info:
        doc.fail("", "missing required field 'types'")
    assert (info.value.line, info.value.field) == (None, None)


def test_document_type_gives_a_subclass():
    class Typed(YamlDocument):
        def text(self, field: str) -> str:
            return str(self.data[field])

    doc = load_yaml_document("x.yaml", text="a: 1\n", document_type=Typed)
    assert isinstance(doc, Typed)
    assert doc.text("a") == "1"
