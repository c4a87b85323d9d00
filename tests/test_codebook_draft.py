"""Drafting a codebook from one file that holds several rounds (pooled long or wide panel)."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from assets.codebook_draft import draft_single_file, wide_round_columns
from assets.readers import read_raw_file


def drafted(tmp_path, columns: dict) -> dict:
    path = tmp_path / "survey.csv"
    pd.DataFrame(columns).to_csv(path, index=False)
    text = draft_single_file(read_raw_file(path))
    rounds = yaml.safe_load("\n".join(line[3:] for line in text.splitlines()
                                      if line.startswith("#   ")))["rounds"]
    return {"rounds": rounds, "variables": yaml.safe_load(text)["variables"]}


@pytest.mark.parametrize(("columns", "tags"), [
    (["id", "pwi_bl", "pwi_el", "inc_bl", "inc_el"], ["bl", "el"]),
    (["id", "pwi_baseline", "pwi_endline"], ["baseline", "endline"]),
    (["id", "empowered", "empowered_6m", "empowered_1y"], ["base", "6m", "1y"]),
    (["id", "w2_pwi", "w1_pwi", "w1_inc", "w2_inc"], ["w1", "w2"]),
    (["id", "pwi1", "pwi2", "income1", "income2"], ["1", "2"]),
])
def test_per_round_suffixes_and_prefixes_are_recognised_in_round_order(columns, tags):
    found, stems = wide_round_columns(columns)
    assert found == tags
    assert stems


def test_wide_file_gives_wide_rounds_and_per_round_sources(tmp_path):
    draft = drafted(tmp_path, {"id": ["a"], "district": [1], "pwi_bl": [70], "pwi_el": [75],
                               "job_el": [1], "job_bl": [0]})
    assert [(r["name"], r["layout"]) for r in draft["rounds"]] == [("bl", "wide"),
                                                                   ("el", "wide")]
    sources = {v["name"]: v["sources"] for v in draft["variables"]}
    assert sources["pwi"] == {"bl": "pwi_bl", "el": "pwi_el"}
    assert sources["district"] == {"bl": "district", "el": "district"}


def test_round_column_gives_long_rounds_named_by_value(tmp_path):
    draft = drafted(tmp_path, {"id": ["a", "a", "b"], "wave": ["baseline", "endline", "endline"],
                               "pwi": [70, 75, 60]})
    assert draft["rounds"] == [
        {"name": "baseline", "label": "baseline", "files": ["survey.csv"], "layout": "long",
         "round_column": "wave", "round_value": "baseline"},
        {"name": "endline", "label": "endline", "files": ["survey.csv"], "layout": "long",
         "round_column": "wave", "round_value": "endline"}]
    assert {v["name"] for v in draft["variables"]} == {"id", "pwi"}


def test_a_file_with_no_round_structure_is_refused_clearly(tmp_path):
    path = tmp_path / "plain.csv"
    pd.DataFrame({"id": ["a"], "age": [30]}).to_csv(path, index=False)
    with pytest.raises(ValueError, match="no round column and no per-round column names"):
        draft_single_file(read_raw_file(path))
