"""Declared paths cannot leave the project: no `..`, no absolute paths."""

from __future__ import annotations

import pytest

from schemas.declarations import load_project
from schemas.yaml_source import DeclarationError

GOOD = ("name: t\nrespondent_id: respondent_id\ncodebook: codebook.yaml\n"
        "rounds:\n  - {name: baseline, label: B, files: ['*.sav', 'sub/*.csv']}\n")


@pytest.mark.parametrize(("old", "new", "key"), [
    ("codebook: codebook.yaml", "codebook: ../../etc/passwd", "codebook"),
    ("codebook: codebook.yaml", "codebook: /etc/passwd", "codebook"),
    ("codebook: codebook.yaml", "codebook: 'C:\\\\survey\\\\codebook.yaml'", "codebook"),
    ("'sub/*.csv'", "'../../other/*.csv'", "rounds.0.files.1"),
    ("'sub/*.csv'", "'~/secret/*.csv'", "rounds.0.files.1"),
])
def test_a_path_leaving_the_project_is_refused_with_file_line_and_key(tmp_path, old, new, key):
    path = tmp_path / "project.yaml"
    path.write_text(GOOD.replace(old, new), encoding="utf-8")
    with pytest.raises(DeclarationError, match=key.replace(".", r"\.")) as info:
        load_project(path)
    assert str(path) in str(info.value)


def test_relative_paths_inside_the_project_are_accepted(tmp_path):
    path = tmp_path / "project.yaml"
    path.write_text(GOOD, encoding="utf-8")
    project, _ = load_project(path)
    assert project.rounds[0].files == ["*.sav", "sub/*.csv"]
