"""Cross-field rules: age bands per respondent type, skip patterns and their N/A."""

from __future__ import annotations

import pandas as pd
import pytest

from assets.cross_field import cross_field_failures
from assets.readers import SOURCE_FILE, SOURCE_ROW
from schemas.validation_rules import CrossFieldRule

RULES = [
    CrossFieldRule.model_validate({"name": "adolescents_are_10_to_19",
                                   "when": {"respondent_type": ["2"]},
                                   "then": {"age": {"range": [10, 19]}}}),
    CrossFieldRule.model_validate({"name": "skipped_for_non_users",
                                   "when": {"used": ["0"]},
                                   "then": {"satisfied": {"kinds": ["not_applicable",
                                                                    "missing"]}}}),
    CrossFieldRule.model_validate({"name": "asked_of_users", "when": {"used": ["1"]},
                                   "then": {"satisfied": {"kinds": ["valid", "dont_know"]}}}),
]


def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "round": "baseline", SOURCE_FILE: "b.sav",
        SOURCE_ROW: pd.array([1, 2, 3, 4, 5], dtype="Int64"),
        "respondent_id": pd.array(["A", "B", "C", "D", "E"], dtype="string"),
        "respondent_type": pd.array(["2", "2", "1", "2", None], dtype="string"),
        "age": pd.array([15, 24, 45, None, 30], dtype="Int64"),
        "used": pd.array(["0", "1", "0", "1", "1"], dtype="string"),
        "satisfied": pd.array([None, "1", "1", None, None], dtype="string"),
        "satisfied__kind": pd.array(["missing", "valid", "valid", "not_applicable", "dont_know"],
                                    dtype="string"),
    })


def test_each_broken_rule_is_one_failure_with_file_row_column_and_rule():
    failures = cross_field_failures(frame(), RULES, "respondent_id")
    got = failures[[SOURCE_ROW, "respondent_id", "column", "value"]].values.tolist()
    assert got == [[2, "B", "age", "24"],            # adolescent aged 24
                   [3, "C", "satisfied", "1"],       # answered although skipped
                   [4, "D", "satisfied", "not_applicable"]]  # N/A although asked
    assert failures["rule"].iloc[0] == ("adolescents_are_10_to_19: when respondent_type in "
                                        "['2'], age in [10, 19]")


def test_missing_values_neither_trigger_nor_break_a_range_rule():
    failures = cross_field_failures(frame(), RULES[:1], "respondent_id")
    assert failures["respondent_id"].tolist() == ["B"]  # D has no age; E has no type


def test_no_rules_no_failures():
    assert cross_field_failures(frame(), [], "respondent_id").empty


def test_a_rule_on_an_unknown_variable_is_refused_at_load_naming_the_key(tmp_path):
    import shutil

    from schemas.declarations import DEFAULT_PROJECT_FILE, load_survey
    from schemas.yaml_source import DeclarationError

    shutil.copytree(DEFAULT_PROJECT_FILE.parent, tmp_path / "survey")
    project = tmp_path / "survey" / "project.yaml"
    text = project.read_text(encoding="utf-8").replace(
        "then: {age: {range: [10, 19]}}", "then: {agee: {range: [10, 19]}}")
    project.write_text(text, encoding="utf-8")
    with pytest.raises(DeclarationError, match=r"validation\.rules\.0\.then\.agee: 'agee' is "
                                               "not a"):
        load_survey(project)
