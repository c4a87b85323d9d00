"""Rounds from pooled (long) and wide files: which rows and columns each round reads."""

from __future__ import annotations

import pandas as pd
import pytest

from assets.round_layout import round_rows, rounds_sharing, shared_usecols
from schemas.declarations import Codebook, Project
from schemas.yaml_source import DeclarationError

CODEBOOK = Codebook.model_validate({"variables": [
    {"name": "respondent_id", "label": "ID", "type": "string",
     "sources": {"baseline": "id", "endline": "id"}},
    {"name": "district", "label": "District", "type": "string",
     "sources": {"baseline": "district", "endline": "district"}},
    {"name": "pwi", "label": "PWI", "type": "number",
     "sources": {"baseline": "pwi_bl", "endline": "pwi_el"}},
    {"name": "empowered", "label": "Empowered", "type": "integer",
     "sources": {"baseline": None, "endline": "empowered_1y"}},
    {"name": "name", "label": "Name", "type": "string", "personal": True,
     "sources": {"baseline": "name", "endline": "name"}},
]})


def project(layout: str, **extra) -> Project:
    rounds = [{"name": name, "label": name, "files": ["panel/*.csv"], "layout": layout,
               **({"round_column": "wave", "round_value": value} if layout == "long" else {})}
              for name, value in (("baseline", "1"), ("endline", "endline"))]
    return Project.model_validate({"name": "t", "respondent_id": "respondent_id",
                                   "rounds": rounds, **extra})


def text_frame(columns: dict) -> pd.DataFrame:
    return pd.DataFrame({k: pd.array(v, dtype="string") for k, v in columns.items()})


def test_rounds_of_one_shared_file_read_the_same_columns_so_it_is_parsed_once():
    wide = project("wide")
    header = ["id", "district", "pwi_bl", "pwi_el", "empowered_1y", "name", "notes"]
    sharing = rounds_sharing(wide, wide.rounds[0])
    assert [r.name for r in sharing] == ["baseline", "endline"]
    assert shared_usecols(CODEBOOK, sharing, header) == [
        "id", "district", "pwi_bl", "pwi_el", "empowered_1y"]  # never name, never notes


def test_pooled_rows_match_a_code_or_its_value_label_and_every_row_is_accounted():
    long = project("long")
    frame = text_frame({"wave": ["1", "2", "2", "3", None], "id": ["a", "a", "b", "c", "d"]})
    labels = {"wave": {"1": "baseline", "2": "endline"}}
    base, counts = round_rows(frame, long.rounds[0], long.rounds, CODEBOOK, labels, "p.csv")
    assert base.tolist() == [True, False, False, False, False]
    assert counts == {"rows_in_file": 5, "rows_of_other_rounds": 2,
                      "rows_of_no_declared_round": 2,
                      "round_values_not_declared": ["(empty)", "3"]}
    end, _ = round_rows(frame, long.rounds[1], long.rounds, CODEBOOK, labels, "p.csv")
    assert end.tolist() == [False, True, True, False, False]  # by the label "endline"


def test_pooled_file_without_its_round_column_is_a_clear_error():
    long = project("long")
    with pytest.raises(ValueError, match=r"p\.csv: round 'baseline': no round column 'wave'"):
        round_rows(text_frame({"id": ["a"]}), long.rounds[0], long.rounds, CODEBOOK, {}, "p.csv")


def test_wide_rows_without_any_round_specific_answer_were_not_interviewed_then():
    wide = project("wide")
    frame = text_frame({"id": ["a", "b", "c"], "district": ["1", "2", "1"],
                        "pwi_bl": ["70", None, "60"], "pwi_el": ["75", "80", None],
                        "empowered_1y": [None, "1", None]})
    base, counts = round_rows(frame, wide.rounds[0], wide.rounds, CODEBOOK, {}, "w.csv")
    assert base.tolist() == [True, False, True]
    assert counts == {"rows_in_file": 3, "rows_not_interviewed": 1}
    end, counts = round_rows(frame, wide.rounds[1], wide.rounds, CODEBOOK, {}, "w.csv")
    assert end.tolist() == [True, True, False]


def test_comparisons_between_wide_rounds_default_to_panel_and_others_to_independent():
    comparisons = {"comparisons": [{"name": "c", "first": "baseline", "second": "endline"}]}
    assert project("wide", **comparisons).comparisons[0].design == "panel"
    assert project("long", **comparisons).comparisons[0].design == "independent"
    explicit = {"comparisons": [{"name": "c", "first": "baseline", "second": "endline",
                                 "design": "independent"}]}
    assert project("wide", **explicit).comparisons[0].design == "independent"


def test_long_round_needs_its_round_column_and_value(tmp_path):
    from schemas.declarations import load_project

    path = tmp_path / "project.yaml"
    path.write_text("name: t\nrespondent_id: respondent_id\nrounds:\n"
                    "  - {name: baseline, label: B, files: [p.csv], layout: long}\n",
                    encoding="utf-8")
    with pytest.raises(DeclarationError, match="round_column"):
        load_project(path)
