"""Declared files: the shipped survey loads; each broken declaration names file, line and key."""

import shutil
from pathlib import Path

import pytest

from schemas.declarations import DEFAULT_PROJECT_FILE, load_survey
from schemas.indicators import MeanScore
from schemas.yaml_source import DeclarationError


@pytest.fixture
def survey_dir(tmp_path: Path) -> Path:
    """A copy of the shipped declarations that a test may break."""
    target = tmp_path / "survey"
    shutil.copytree(DEFAULT_PROJECT_FILE.parent, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text not found: {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, fragment: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if fragment in line:
            return number
    raise AssertionError(fragment)


def test_the_shipped_declarations_load_and_cross_check():
    survey = load_survey(DEFAULT_PROJECT_FILE)
    assert survey.project.round_names == ["baseline", "endline"]
    pwi = next(i for i in survey.catalogue.indicators if i.id == "pwi_women")
    assert isinstance(pwi, MeanScore) and len(pwi.items) == 7
    assert survey.project.special_codes["dk_refused"] == {"98": "dont_know", "99": "refused"}
    assert {v.name for v in survey.codebook.variables if v.personal} == {
        "respondent_name", "phone", "gps", "gps_latitude", "gps_longitude"}


def test_an_unknown_key_is_reported_with_file_line_and_key(survey_dir):
    codebook = survey_dir / "codebook.yaml"
    edit(codebook, '    label: "District"', '    lable: "District"')
    with pytest.raises(DeclarationError) as error:
        load_survey(survey_dir / "project.yaml")
    line = line_of(codebook, "lable:")
    assert f"codebook.yaml:{line}: variables." in str(error.value)
    assert ".lable: Extra inputs are not permitted" in str(error.value)


def test_a_wrong_type_is_reported(survey_dir):
    edit(survey_dir / "project.yaml", "confidence: 0.95", "confidence: high")
    with pytest.raises(DeclarationError, match=r"project.yaml:\d+: confidence: .*number"):
        load_survey(survey_dir / "project.yaml")


def test_a_round_missing_from_a_variables_sources_is_reported(survey_dir):
    codebook = survey_dir / "codebook.yaml"
    edit(codebook, "sources: {baseline: age, endline: intro/age}", "sources: {baseline: age}")
    with pytest.raises(DeclarationError) as error:
        load_survey(survey_dir / "project.yaml")
    assert f"codebook.yaml:{line_of(codebook, 'sources: {baseline: age}')}" in str(error.value)
    assert "missing ['endline']" in str(error.value)


def test_an_indicator_referring_to_an_unknown_variable_is_reported(survey_dir):
    indicators = survey_dir / "indicators.yaml"
    edit(indicators, "variable: happy_with_life", "variable: happy_life")
    with pytest.raises(DeclarationError, match=r"indicators.yaml:\d+: indicators.3.variable: "
                                               r"unknown codebook variable 'happy_life'"):
        load_survey(survey_dir / "project.yaml")


def test_an_unknown_indicator_kind_is_reported(survey_dir):
    edit(survey_dir / "indicators.yaml", "kind: prevalence", "kind: ratio")
    with pytest.raises(DeclarationError, match=r"indicators.yaml:\d+: indicators.3"):
        load_survey(survey_dir / "project.yaml")


def test_a_comparison_of_an_undeclared_round_is_reported(survey_dir):
    edit(survey_dir / "project.yaml", "second: endline", "second: midline")
    with pytest.raises(DeclarationError, match="unknown round 'midline'"):
        load_survey(survey_dir / "project.yaml")


def test_an_unknown_special_code_set_is_reported(survey_dir):
    edit(survey_dir / "codebook.yaml", "missing_codes: income_codes", "missing_codes: income")
    with pytest.raises(DeclarationError, match="unknown special code set 'income'"):
        load_survey(survey_dir / "project.yaml")


def test_a_personal_variable_cannot_be_an_indicator_group(survey_dir):
    edit(survey_dir / "indicators.yaml", "groups: [district, sex]", "groups: [district, phone]")
    with pytest.raises(DeclarationError, match="'phone' is personal data"):
        load_survey(survey_dir / "project.yaml")


def test_a_yaml_tag_that_builds_python_objects_is_refused(survey_dir, tmp_path):
    marker = tmp_path / "pwned"
    edit(survey_dir / "project.yaml", 'name: "Families',
         f'tag: !!python/object/apply:os.system ["touch {marker}"]\nname: "Families')
    with pytest.raises(DeclarationError, match=r"project.yaml:\d+: [\w.]+: tag .* is not allowed"):
        load_survey(survey_dir / "project.yaml")
    assert not marker.exists()


def test_a_sampling_design_must_name_codebook_variables(survey_dir):
    edit(survey_dir / "project.yaml", "confidence: 0.95",
         "sampling_design: {weights: hh_weight}\nconfidence: 0.95")
    edit(survey_dir / "project.yaml", "  - name: baseline_to_endline_panel",
         "  - name: baseline_to_endline_panel_unused")
    text = (survey_dir / "project.yaml").read_text().replace("    design: panel\n", "")
    (survey_dir / "project.yaml").write_text(text)
    with pytest.raises(DeclarationError, match=r"sampling_design\.weights: 'hh_weight' is not"):
        load_survey(survey_dir / "project.yaml")


def test_panel_comparisons_of_a_weighted_design_are_refused_clearly(survey_dir):
    edit(survey_dir / "project.yaml", "confidence: 0.95",
         "sampling_design: {weights: age}\nconfidence: 0.95")
    with pytest.raises(DeclarationError, match="panel comparisons of a weighted sampling design"):
        load_survey(survey_dir / "project.yaml")
