"""Keyed-hash pseudonyms: known answers, stable across rounds, missing kept, collisions refused."""

import hashlib
import hmac
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assets import pseudonymise
from assets.pseudonymise import (
    PSEUDONYM_LENGTH,
    KeyFileError,
    PseudonymCollisionError,
    load_key,
    pseudonymise_frame,
    pseudonymise_ids,
)
from schemas.declarations import DEFAULT_PROJECT_FILE, load_project, load_survey
from schemas.yaml_source import DeclarationError

KEY = b"0123456789abcdef0123456789abcdef"
OTHER_KEY = b"fedcba9876543210fedcba9876543210"


def test_rfc_4231_test_case_2_is_the_primitive():
    """RFC 4231 4.3: HMAC-SHA-256("Jefe", "what do ya want for nothing?")."""
    pseudonym = pseudonymise_ids(pd.Series(["what do ya want for nothing?"]), b"Jefe")[0]
    assert pseudonym == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"[
        :PSEUDONYM_LENGTH]


def test_an_id_is_hashed_as_its_utf8_text_with_the_key():
    expected = hmac.new(KEY, "Б0001".encode(), hashlib.sha256).hexdigest()[:16]
    assert pseudonymise_ids(pd.Series(["Б0001"]), KEY).tolist() == [expected]
    assert PSEUDONYM_LENGTH == 16


def test_pseudonyms_are_deterministic_and_depend_on_the_key():
    ids = pd.Series([f"B{i:04d}" for i in range(200)])
    first, again = pseudonymise_ids(ids, KEY), pseudonymise_ids(ids, KEY)
    other = pseudonymise_ids(ids, OTHER_KEY)
    assert first.equals(again)
    assert not set(first) & set(other)
    assert first.str.fullmatch(r"[0-9a-f]{16}").all()
    assert not set(first) & set(ids)


def test_panel_linkage_survives_in_separately_pseudonymised_rounds():
    baseline = pd.DataFrame({"respondent_id": ["B1", "B2", "B3"], "pwi": [50.0, 60.0, 70.0]})
    endline = pd.DataFrame({"respondent_id": ["B3", "E9", "B1"], "pwi": [75.0, 40.0, 55.0]})
    pairs = baseline.merge(endline, on="respondent_id", suffixes=("_base", "_end"))
    pseudonymous = pseudonymise_frame(baseline, "respondent_id", KEY).merge(
        pseudonymise_frame(endline, "respondent_id", KEY), on="respondent_id",
        suffixes=("_base", "_end"))
    assert pseudonymous[["pwi_base", "pwi_end"]].equals(pairs[["pwi_base", "pwi_end"]])


def test_missing_ids_stay_missing_and_the_index_is_kept():
    ids = pd.Series(["B1", None, "B1", np.nan], index=[10, 11, 12, 13], name="respondent_id",
                    dtype=object)
    out = pseudonymise_ids(ids, KEY)
    assert out.isna().tolist() == [False, True, False, True]
    assert out[10] == out[12] and out.index.tolist() == [10, 11, 12, 13]
    assert out.name == "respondent_id"
    typed = pseudonymise_ids(pd.Series(["B1", pd.NA], dtype="string"), KEY)
    assert typed.dtype == "string" and typed.isna().tolist() == [False, True]


def test_an_integer_id_keeps_its_pseudonym_however_its_column_was_typed():
    as_text = pseudonymise_ids(pd.Series(["123", "7"]), KEY).tolist()
    assert pseudonymise_ids(pd.Series([123, 7]), KEY).tolist() == as_text
    as_float = pseudonymise_ids(pd.Series([123.0, None, 7.0]), KEY)  # float64 with a NaN
    assert as_float.dropna().tolist() == as_text


def test_a_collision_of_truncated_pseudonyms_is_refused_without_naming_ids(monkeypatch):
    monkeypatch.setattr(pseudonymise, "PSEUDONYM_LENGTH", 1)  # 16 pseudonyms for 40 ids
    ids = pd.Series([f"SECRET{i}" for i in range(40)])
    with pytest.raises(PseudonymCollisionError, match="share a pseudonym") as error:
        pseudonymise_ids(ids, KEY)
    assert "SECRET" not in str(error.value)


def test_repeated_ids_are_not_a_collision(monkeypatch):
    monkeypatch.setattr(pseudonymise, "PSEUDONYM_LENGTH", 1)
    out = pseudonymise_ids(pd.Series(["B1", "B1", 5, "5"], dtype=object), KEY)
    assert out[0] == out[1] and out[2] == out[3]


def test_the_frame_helper_changes_only_the_id_column():
    frame = pd.DataFrame({"round": ["baseline", "endline"], "respondent_id": ["B1", "B1"],
                          "value": [1.5, None]})
    before = frame.copy()
    out = pseudonymise_frame(frame, "respondent_id", KEY)
    assert out["respondent_id"].tolist() == pseudonymise_ids(frame["respondent_id"], KEY).tolist()
    pd.testing.assert_frame_equal(out.drop(columns="respondent_id"),
                                  frame.drop(columns="respondent_id"))
    pd.testing.assert_frame_equal(frame, before)
    with pytest.raises(KeyError, match="'resp_id'"):
        pseudonymise_frame(frame, "resp_id", KEY)


# ------------------------------------------------------------------ key file
def test_a_key_file_is_read_without_surrounding_whitespace(tmp_path):
    (tmp_path / "a.key").write_bytes(KEY + b"\n")
    (tmp_path / "b.key").write_bytes(KEY)
    assert load_key(tmp_path / "a.key") == load_key(tmp_path / "b.key") == KEY


@pytest.mark.parametrize(("content", "problem"), [
    (None, "does not exist"), (b"", "is empty"), (b" \n", "is empty"),
    (b"short-secret-15", "fewer than 16 bytes")])
def test_a_missing_empty_or_short_key_is_refused_naming_the_file_not_the_key(
        tmp_path, content, problem):
    path = tmp_path / "respondent_id.key"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(KeyFileError, match=problem) as error:
        load_key(path)
    assert str(path) in str(error.value)
    assert "short-secret" not in str(error.value)


def test_a_directory_is_not_a_key(tmp_path):
    with pytest.raises(KeyFileError, match="cannot read"):
        load_key(tmp_path)


def test_a_key_inside_a_published_or_raw_folder_is_refused(tmp_path):
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    (outputs / "k.key").write_bytes(KEY)
    with pytest.raises(KeyFileError, match="inside"):
        load_key(outputs / "k.key", not_under=[tmp_path / "raw", outputs])
    assert load_key(outputs / "k.key", not_under=[tmp_path / "raw"]) == KEY


# --------------------------------------------------------------- declaration
EXAMPLE = ("# publication:\n#   pseudonymise_ids:\n#     key_file: secrets/respondent_id.key\n")


@pytest.fixture
def project_file(tmp_path: Path) -> Path:
    """A copy of the shipped declarations with the commented publication example switched on."""
    target = tmp_path / "survey"
    shutil.copytree(DEFAULT_PROJECT_FILE.parent, target)
    path = target / "project.yaml"
    text = path.read_text(encoding="utf-8")
    assert EXAMPLE in text
    path.write_text(text.replace(EXAMPLE, EXAMPLE.replace("# ", "").replace("#", "")),
                    encoding="utf-8")
    return path


def test_the_shipped_sample_does_not_pseudonymise():
    project, _ = load_project(DEFAULT_PROJECT_FILE)
    assert project.publication.pseudonymise_ids is None


def test_the_commented_example_is_a_valid_declaration(project_file):
    survey = load_survey(project_file)
    assert survey.project.publication.pseudonymise_ids is not None
    assert survey.project.publication.pseudonymise_ids.key_file == "secrets/respondent_id.key"


def line_of(path: Path, fragment: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if fragment in line)


@pytest.mark.parametrize(("new", "message"), [
    ("key_file: ../secrets/respondent_id.key", "leaves the project folder"),
    ("key_file: /etc/respondent_id.key", "absolute path"),
    ("key_file: outputs/respondent_id.key", "keep the key out of published and raw folders"),
    ("key_file: ./raw/respondent_id.key", "keep the key out of published and raw folders"),
])
def test_a_key_file_outside_the_project_or_in_outputs_is_refused_with_its_line(
        project_file, new, message):
    text = project_file.read_text(encoding="utf-8")
    project_file.write_text(text.replace("key_file: secrets/respondent_id.key", new),
                            encoding="utf-8")
    with pytest.raises(DeclarationError, match=message) as error:
        load_project(project_file)
    line = line_of(project_file, new)
    assert f"project.yaml:{line}: publication.pseudonymise_ids.key_file: " in str(error.value)
    assert error.value.key == "publication.pseudonymise_ids.key_file"


def test_an_unknown_publication_key_is_refused_with_its_line(project_file):
    text = project_file.read_text(encoding="utf-8")
    project_file.write_text(text.replace("    key_file:", "    key_path:"), encoding="utf-8")
    with pytest.raises(DeclarationError) as error:
        load_project(project_file)
    line = line_of(project_file, "key_path:")
    assert (f"project.yaml:{line}: publication.pseudonymise_ids.key_path: Extra inputs are not "
            "permitted") in str(error.value)
