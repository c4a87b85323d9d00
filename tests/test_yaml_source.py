"""Tests for the safe, line-aware YAML loader used for declared configuration files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from schemas.yaml_source import (
    DeclarationError,
    SourceDocument,
    load_yaml,
    validate_document,
)


def write(tmp_path: Path, text: str, name: str = "decl.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def test_yaml11_traps_stay_strings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        a: yes
        b: no
        c: on
        d: 012
        e: 2021-05-01
        f: 1.0
        g: 3
        h: [true, 0x1F, 1e3, .inf]
        """,
    )
    data = load_yaml(path).data
    assert data == {
        "a": "yes",
        "b": "no",
        "c": "on",
        "d": "012",
        "e": "2021-05-01",
        "f": "1.0",
        "g": "3",
        "h": ["true", "0x1F", "1e3", ".inf"],
    }
    assert all(type(v) is str for k, v in data.items() if k != "h")


def test_nulls_and_quoted_null(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        empty:
        tilde: ~
        lower: null
        title: Null
        upper: NULL
        quoted: "null"
        single: '~'
        blank: ""
        explicit: !!str null
        """,
    )
    data = load_yaml(path).data
    assert data["empty"] is None
    assert data["tilde"] is None
    assert data["lower"] is None and data["title"] is None and data["upper"] is None
    assert data["quoted"] == "null"
    assert data["single"] == "~"
    assert data["blank"] == ""
    assert data["explicit"] == "null"


def test_empty_file_loads_none(tmp_path: Path) -> None:
    doc = load_yaml(write(tmp_path, "# only a comment\n"))
    assert doc.data is None


def test_bom_prefixed_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeffname: survey\nwave: 2\n".encode())
    doc = load_yaml(path)
    assert doc.data == {"name": "survey", "wave": "2"}
    assert doc.lines[("wave",)] == 2


def test_line_numbers_for_nested_keys_and_items(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        # header comment
        project: demo
        indicators:
          - name: a
            kind: mean
          - name: b
            kind: share
            options:
              - x
              - y
        """,
    )
    doc = load_yaml(path)
    assert doc.lines[()] == 2
    assert doc.lines[("project",)] == 2
    assert doc.lines[("indicators",)] == 3
    assert doc.lines[("indicators", 0)] == 4
    assert doc.lines[("indicators", 1)] == 6
    assert doc.lines[("indicators", 1, "kind")] == 7
    assert doc.lines[("indicators", 1, "options", 1)] == 10


def test_line_of_uses_nearest_existing_parent(tmp_path: Path) -> None:
    doc = SourceDocument(
        path=Path("x.yaml"),
        data=None,
        lines={(): 1, ("a",): 2, ("a", 0): 3, ("a", 0, "b"): 4},
    )
    assert doc.line_of(("a", 0, "b")) == 4
    assert doc.line_of(("a", 0, "b", "deeper", 3)) == 4
    assert doc.line_of(("a", 0, "missing")) == 3
    assert doc.line_of(("a", 7)) == 2
    assert doc.line_of(("nope",)) == 1
    assert doc.line_of(()) == 1
    assert SourceDocument(path=Path("y"), data=None, lines={}).line_of(("a",)) is None


def test_aliases_resolve(tmp_path: Path) -> None:
    path = write(tmp_path, "base: &b {x: 1}\nother: *b\n")
    assert load_yaml(path).data == {"base": {"x": "1"}, "other": {"x": "1"}}


def test_recursive_alias_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "a: 1\nx: &loop [*loop]\n")
    with pytest.raises(DeclarationError, match=r"decl\.yaml:2: recursive alias"):
        load_yaml(path)


def test_alias_expansion_bomb_rejected(tmp_path: Path) -> None:
    rows = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for prev, name in zip("abcde", "bcdef", strict=True):
        rows.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 10)}]")
    path = write(tmp_path, "\n".join(rows) + "\n")
    with pytest.raises(DeclarationError, match="expands to more than"):
        load_yaml(path)


def test_merge_keys_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n")
    with pytest.raises(DeclarationError, match=r"decl\.yaml:3: merge keys"):
        load_yaml(path)


def test_duplicate_key_names_file_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        variables:
          age:
            label: Age
            label: Age in years
        """,
    )
    with pytest.raises(DeclarationError) as info:
        load_yaml(path)
    err = info.value
    assert str(err).startswith(f"{path}:4: duplicate key 'label'")
    assert "line 3" in str(err)
    assert err.line == 4 and err.key == "label" and err.path == path


def test_complex_key_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "ok: 1\n? [a, b]\n: value\n")
    with pytest.raises(DeclarationError, match=r"decl\.yaml:2: mapping keys must be plain"):
        load_yaml(path)


def test_python_tag_rejected_without_executing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = write(
        tmp_path,
        f"""
        name: x
        hook:
          run: !!python/object/apply:os.system ["touch {marker}"]
        """,
    )
    with pytest.raises(DeclarationError) as info:
        load_yaml(path)
    assert str(info.value) == (
        f"{path}:3: hook.run: tag '!!python/object/apply:os.system' is not allowed in a declaration"
    )
    assert info.value.line == 3
    assert not marker.exists()


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("a: !!binary aGVsbG8=\n", "!!binary"),
        ("a: !!set {x, y}\n", "!!set"),
        ("a: !custom value\n", "!custom"),
        ("!!python/name:os.system : 1\n", "!!python/name:os.system"),
    ],
)
def test_non_core_tags_rejected(tmp_path: Path, text: str, tag: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(DeclarationError, match=rf"decl\.yaml:1: (a: )?tag '{tag}' is not allowed"):
        load_yaml(path)


def test_syntax_error_gives_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "a: 1\nb: [1, 2\nc: 3\n")
    with pytest.raises(DeclarationError) as info:
        load_yaml(path)
    assert info.value.line is not None
    assert str(info.value).startswith(f"{path}:{info.value.line}: ")
    assert info.value.line >= 2


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(DeclarationError, match="file not found") as info:
        load_yaml(path)
    assert str(info.value) == f"{path}: file not found"


class Indicator(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    kind: str
    weight: int = 1
    enabled: bool = True


class Indicators(BaseModel):
    model_config = ConfigDict(extra="forbid")
    indicators: list[Indicator]


INDICATORS = """
indicators:
  - name: a
    kind: mean
    weight: 2
    enabled: yes
  - name: b
    lable: oops
    weight: abc
  - kind: share
"""


def test_validate_document_coerces_strings(tmp_path: Path) -> None:
    path = write(tmp_path, "indicators:\n  - {name: a, kind: mean, weight: 012, enabled: no}\n")
    model = validate_document(load_yaml(path), Indicators)
    assert model.indicators[0].weight == 12
    assert model.indicators[0].enabled is False


def test_validate_document_reports_all_errors_with_lines(tmp_path: Path) -> None:
    path = write(tmp_path, INDICATORS, name="indicators.yaml")
    with pytest.raises(DeclarationError) as info:
        validate_document(load_yaml(path), Indicators)
    lines = str(info.value).splitlines()
    assert f"{path}:6: indicators.1.kind: Field required" in lines
    assert any(
        line.startswith(f"{path}:8: indicators.1.weight: Input should be a valid integer")
        for line in lines
    )
    assert f"{path}:7: indicators.1.lable: Extra inputs are not permitted" in lines
    assert f"{path}:9: indicators.2.name: Field required" in lines
    assert len(lines) == 4
    assert info.value.line == int(lines[0].split(":")[1])
    assert info.value.key == lines[0].split(": ")[1]


def test_validate_document_uses_path_as_given(tmp_path: Path, monkeypatch) -> None:
    write(tmp_path, "indicators:\n  - name: a\n    kind: mean\n    colour: red\n", "codebook.yaml")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DeclarationError) as info:
        validate_document(load_yaml("codebook.yaml"), Indicators)
    assert str(info.value) == "codebook.yaml:4: indicators.0.colour: Extra inputs are not permitted"
    assert info.value.line == 4
    assert info.value.key == "indicators.0.colour"


def test_validate_document_top_level_missing_key(tmp_path: Path) -> None:
    path = write(tmp_path, "# comment\n\nother: 1\n")
    with pytest.raises(DeclarationError) as info:
        validate_document(load_yaml(path), Indicators)
    assert f"{path}:3: indicators: Field required" in str(info.value).splitlines()
