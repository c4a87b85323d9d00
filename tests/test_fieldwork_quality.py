"""High-frequency fieldwork checks: per-enumerator tables and flags, never deletions."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from assets.fieldwork_quality import (
    ENUMERATOR_COLUMNS,
    FLAG_COLUMNS,
    FORM_VERSION_COLUMNS,
    NOT_RECORDED,
    fieldwork_quality,
)
from assets.harmonize import harmonize_round
from assets.readers import SOURCE_FILE, SOURCE_ROW
from schemas.declarations import Codebook, Project
from schemas.validation_rules import Fieldwork

ITEMS = [f"pwi_{i}" for i in range(1, 6)]
FIELDWORK = Fieldwork(enumerator="enumerator", start="start", end="end",
                      form_version="form_version", outliers=["income"],
                      scales={"pwi": ITEMS}, min_straightline_items=5)

PROJECT = Project.model_validate({
    "name": "test survey",
    "respondent_id": "respondent_id",
    "rounds": [{"name": "baseline", "label": "Baseline", "files": ["*.csv"]},
               {"name": "endline", "label": "Endline", "files": ["*.csv"]}],
    "special_codes": {"dk_refused": {"98": "dont_know", "99": "refused",
                                     "96": "not_applicable"},
                      "income_codes": {"999998": "dont_know", "999999": "refused"}},
})


def _variable(name: str, kind: str, endline: str | None, baseline: str | None = None,
              codes: str | None = None) -> dict:
    return {"name": name, "label": name, "type": kind, "missing_codes": codes,
            "sources": {"baseline": baseline, "endline": endline}}


CODEBOOK = Codebook.model_validate({"variables": [
    _variable("respondent_id", "string", "rid", "rid"),
    # Baseline recorded no enumerator, start, end or form version.
    _variable("enumerator", "string", "enum"),
    _variable("start", "date", "starttime"),
    _variable("end", "date", "endtime"),
    _variable("form_version", "string", "__version__"),
    *[_variable(item, "integer", item, item, codes="dk_refused") for item in ITEMS],
    _variable("income", "number", "income", "income", codes="income_codes"),
]})

T0 = datetime(2023, 5, 1, 9, 0)
# rid, enumerator, duration in minutes (None: no end time), form version, pwi items, income
ENDLINE = [
    ("e1", "E1", 30, "v1", ["7", "7", "7", "7", "7"], "110"),  # straightliner
    ("e2", "E1", 40, "v1", ["7", "7", "7", "7", "7"], "130"),  # straightliner
    ("e3", "E1", 50, "v1", ["5", "5", "5", "5", "98"], "140"),  # 4 answered: not flagged
    ("e4", "E1", -10, "v2", ["1", "2", "3", "4", "5"], "5000"),  # outlier, negative duration
    ("e5", "E2", 20, "v2", ["1", "2", "3", "4", "5"], "100"),
    ("e6", "E2", 30, "v2", ["98", "98", "2", "3", "4"], "999998"),  # dk income: not an outlier
    ("e7", "E2", None, "v2", ["99", "1", "2", "3", "96"], "120"),
    ("e8", "E2", 1500, "v2", ["96", "96", "96", "96", "96"], "999999"),  # over 24 h
]
BASELINE = [
    ("b1", ["3", "3", "3", "3", "3"], "50"),
    ("b2", ["1", "2", "3", "4", "5"], "60"),
    ("b3", ["2", "2", "2", "2", "2"], "70"),
]


def _endline_raw() -> pd.DataFrame:
    records = []
    for row, (rid, enum, minutes, version, items, income) in enumerate(ENDLINE, start=2):
        start = T0 + timedelta(hours=row)
        end = "" if minutes is None else (start + timedelta(minutes=minutes)).isoformat()
        records.append({SOURCE_FILE: "endline.csv", SOURCE_ROW: row, "rid": rid,
                        "enum": enum, "starttime": start.isoformat(), "endtime": end,
                        "__version__": version, **dict(zip(ITEMS, items, strict=True)),
                        "income": income})
    return pd.DataFrame(records).replace("", None)


def _baseline_raw() -> pd.DataFrame:
    return pd.DataFrame([{SOURCE_FILE: "baseline.csv", SOURCE_ROW: row, "rid": rid,
                          **dict(zip(ITEMS, items, strict=True)), "income": income}
                         for row, (rid, items, income) in enumerate(BASELINE, start=2)])


@pytest.fixture(scope="module")
def endline() -> pd.DataFrame:
    return harmonize_round(_endline_raw(), "endline", PROJECT, CODEBOOK).frame


@pytest.fixture(scope="module")
def both_rounds(endline) -> pd.DataFrame:
    baseline = harmonize_round(_baseline_raw(), "baseline", PROJECT, CODEBOOK).frame
    return pd.concat([baseline, endline], ignore_index=True)


@pytest.fixture(scope="module")
def quality(both_rounds):
    return fieldwork_quality(both_rounds, FIELDWORK, "respondent_id")


def _enumerator(quality, round_name: str, enumerator: str) -> pd.Series:
    table = quality.by_enumerator
    row = table[(table["round"] == round_name) & (table["enumerator"] == enumerator)]
    assert len(row) == 1
    return row.iloc[0]


def _flags(quality, check: str) -> pd.DataFrame:
    return quality.flags[quality.flags["check"] == check]


def test_tables_have_the_declared_columns_and_one_row_per_round_and_enumerator(quality):
    assert list(quality.by_enumerator.columns) == ENUMERATOR_COLUMNS
    assert list(quality.by_form_version.columns) == FORM_VERSION_COLUMNS
    assert list(quality.flags.columns) == FLAG_COLUMNS
    pairs = list(zip(quality.by_enumerator["round"], quality.by_enumerator["enumerator"],
                     strict=True))
    assert pairs == [("baseline", NOT_RECORDED), ("endline", "E1"), ("endline", "E2")]
    assert quality.by_enumerator["interviews"].tolist() == [3, 4, 4]


def test_straightliners_are_flagged_per_interview_with_scale_and_value(quality):
    flags = _flags(quality, "straightlining")
    # e3 gives four identical answers and a don't-know: fewer than 5 answered, not flagged;
    # e8 is not applicable throughout (no answers); baseline b1 and b3 straightline.
    assert sorted(flags["respondent_id"]) == ["b1", "b3", "e1", "e2"]
    e1 = flags[flags["respondent_id"] == "e1"].iloc[0]
    assert (e1["column"], e1["value"], e1["enumerator"]) == ("pwi", "7", "E1")
    assert (e1["source_file"], e1["source_row"]) == ("endline.csv", 2)
    assert "pwi" in e1["detail"] and "7" in e1["detail"]
    assert _enumerator(quality, "endline", "E1")["straightlining_share"] == 0.5
    assert _enumerator(quality, "endline", "E2")["straightlining_share"] == 0.0
    assert quality.summary["endline"]["straightlining_share"] == 2 / 8
    assert quality.summary["baseline"]["straightlining_share"] == 2 / 3


def test_outlier_is_flagged_but_special_codes_never_are(quality):
    flags = _flags(quality, "outlier")
    assert flags["respondent_id"].tolist() == ["e4"]
    flag = flags.iloc[0]
    assert (flag["column"], flag["value"], flag["enumerator"]) == ("income", "5000", "E1")
    # Quartiles of the valid endline incomes 100, 110, 120, 130, 140, 5000 (the special codes
    # 999998 and 999999 are NA with a kind): Q1 112.5, Q3 137.5, IQR 25.
    assert "[37.5, 212.5]" in flag["detail"]
    assert _enumerator(quality, "endline", "E1")["outliers"] == 1
    assert _enumerator(quality, "endline", "E2")["outliers"] == 0
    assert quality.summary["endline"]["outlier_share"] == 1 / 6
    assert quality.summary["baseline"]["outlier_share"] == 0.0


def test_a_constant_variable_has_no_outliers():
    frame = pd.DataFrame({"round": "r", "respondent_id": list("abcdef"),
                          "income": pd.array([5, 5, 5, 5, 5, 900], dtype="Float64")})
    quality = fieldwork_quality(frame, Fieldwork(outliers=["income"]), "respondent_id")
    assert quality.flags.empty  # IQR 0: no flags
    assert quality.summary["r"]["outlier_share"] == 0.0


def test_durations_give_the_median_and_flag_negative_and_overlong(quality):
    assert _enumerator(quality, "endline", "E1")["median_duration_min"] == 40.0  # 30, 40, 50
    assert _enumerator(quality, "endline", "E2")["median_duration_min"] == 25.0  # 20, 30
    assert math.isnan(_enumerator(quality, "baseline", NOT_RECORDED)["median_duration_min"])
    flags = _flags(quality, "duration").sort_values("respondent_id")
    assert flags["respondent_id"].tolist() == ["e4", "e8"]  # e7 has no end time: no flag
    assert flags["value"].tolist() == ["-10.0", "1500.0"]
    assert "negative" in flags["detail"].iloc[0] and "24 h" in flags["detail"].iloc[1]
    assert set(flags["column"]) == {"start/end"}


def test_zero_duration_is_flagged_and_missing_start_is_not():
    start = pd.Series(pd.to_datetime(["2023-05-01 09:00", "2023-05-01 09:00", None]))
    frame = pd.DataFrame({"round": "r", "respondent_id": ["a", "b", "c"], "start": start,
                          "end": pd.to_datetime(["2023-05-01 09:00", "2023-05-01 09:45",
                                                 "2023-05-01 10:00"])})
    quality = fieldwork_quality(frame, Fieldwork(start="start", end="end"), "respondent_id")
    assert quality.flags["respondent_id"].tolist() == ["a"]
    assert "zero" in quality.flags["detail"].iloc[0]
    assert quality.by_enumerator["median_duration_min"].tolist() == [45.0]


def test_dont_know_and_refusal_rates_exclude_not_applicable(quality):
    # Six kind columns (five items, income). E1: 24 cells, one don't-know (e3's item 5).
    e1 = _enumerator(quality, "endline", "E1")
    assert e1["dont_know_rate"] == pytest.approx(1 / 24)
    assert e1["refusal_rate"] == 0.0
    # E2: 24 cells, 6 not applicable (e7 item 5, e8 items 1-5) -> 18; don't know: e6 items 1,
    # 2 and income (3); refused: e7 item 1 and e8 income (2).
    e2 = _enumerator(quality, "endline", "E2")
    assert e2["dont_know_rate"] == pytest.approx(3 / 18)
    assert e2["refusal_rate"] == pytest.approx(2 / 18)
    endline = quality.summary["endline"]
    assert endline["dont_know_rate"] == pytest.approx(4 / 42)
    assert endline["refusal_rate"] == pytest.approx(2 / 42)
    assert quality.summary["baseline"]["dont_know_rate"] == 0.0


def test_form_versions_per_enumerator_and_per_round(quality):
    assert _enumerator(quality, "endline", "E1")["form_versions"] == "v1;v2"
    assert _enumerator(quality, "endline", "E2")["form_versions"] == "v2"
    assert _enumerator(quality, "baseline", NOT_RECORDED)["form_versions"] == ""
    table = quality.by_form_version
    assert list(zip(table["round"], table["form_version"], table["interviews"],
                    strict=True)) == [("baseline", NOT_RECORDED, 3), ("endline", "v1", 3),
                                      ("endline", "v2", 5)]


def test_summary_per_round(quality):
    assert list(quality.summary) == ["baseline", "endline"]
    assert quality.summary["endline"]["interviews"] == 8
    assert quality.summary["endline"]["enumerators"] == 2
    assert quality.summary["baseline"]["enumerators"] == 0  # none recorded


def test_no_enumerator_declared_puts_every_interview_under_not_recorded(endline):
    fieldwork = FIELDWORK.model_copy(update={"enumerator": None})
    quality = fieldwork_quality(endline, fieldwork, "respondent_id")
    assert quality.by_enumerator["enumerator"].tolist() == [NOT_RECORDED]
    assert quality.by_enumerator["interviews"].tolist() == [8]
    assert quality.by_enumerator["straightlining_share"].tolist() == [0.25]
    assert set(quality.flags["enumerator"]) == {NOT_RECORDED}
    assert quality.summary["endline"]["enumerators"] == 0


def test_the_frame_is_not_changed(both_rounds):
    before = both_rounds.copy()
    fieldwork_quality(both_rounds, FIELDWORK, "respondent_id")
    pd.testing.assert_frame_equal(both_rounds, before)


def test_zero_rows_give_empty_tables_with_the_columns(both_rounds):
    quality = fieldwork_quality(both_rounds.iloc[:0], FIELDWORK, "respondent_id")
    assert list(quality.by_enumerator.columns) == ENUMERATOR_COLUMNS
    assert list(quality.by_form_version.columns) == FORM_VERSION_COLUMNS
    assert list(quality.flags.columns) == FLAG_COLUMNS
    assert quality.by_enumerator.empty and quality.by_form_version.empty
    assert quality.flags.empty
    assert quality.summary == {}


def test_text_items_straightline_too():
    frame = pd.DataFrame({"round": "r", "respondent_id": ["a", "b", "c"],
                          "q1": pd.array(["yes", "yes", None], dtype="string"),
                          "q2": pd.array(["yes", "no", "no"], dtype="string"),
                          "q3": pd.array(["yes", "yes", "no"], dtype="string")})
    fieldwork = Fieldwork(scales={"agree": ["q1", "q2", "q3"]}, min_straightline_items=2)
    quality = fieldwork_quality(frame, fieldwork, "respondent_id")
    assert quality.flags["respondent_id"].tolist() == ["a", "c"]
    assert quality.flags["value"].tolist() == ["yes", "no"]


def test_no_scale_declared_leaves_straightlining_unmeasured(endline):
    quality = fieldwork_quality(endline, Fieldwork(enumerator="enumerator"), "respondent_id")
    assert quality.by_enumerator["straightlining_share"].isna().all()
    assert math.isnan(quality.summary["endline"]["straightlining_share"])


def test_many_rows_give_the_same_counts_as_the_pattern():
    n = 60_000
    rng = np.random.default_rng(7)
    straight = np.arange(n) % 10 == 0  # every tenth interview straightlines
    items = {f"q{i}": np.where(straight, 3, (np.arange(n) + i) % 5) for i in range(5)}
    income = rng.normal(1000, 10, n)
    income[::1000] = 1e6  # 60 outliers
    frame = pd.DataFrame({"round": "r", "respondent_id": np.arange(n).astype(str),
                          "enumerator": np.where(np.arange(n) % 2 == 0, "A", "B"),
                          "income": income, **items})
    fieldwork = Fieldwork(enumerator="enumerator", outliers=["income"],
                          scales={"s": list(items)})
    quality = fieldwork_quality(frame, fieldwork, "respondent_id")
    counts = quality.flags["check"].value_counts()
    assert counts["straightlining"] == straight.sum()
    assert counts["outlier"] == 60
    assert quality.by_enumerator["interviews"].tolist() == [n // 2, n // 2]
    assert quality.by_enumerator["straightlining_share"].tolist() == [0.2, 0.0]
