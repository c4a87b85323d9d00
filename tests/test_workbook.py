"""The evaluator workbook: sheets, headers, display conventions, notes and provenance."""

import math
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from assets.workbook import (
    CAUTION_FORMAT,
    ESTIMATE_COLUMNS,
    FAMILY_COLUMNS,
    format_one_decimal,
    sheet_title,
    write_workbook,
)

ROOT = Path(__file__).resolve().parents[1]
LONG_FAMILY = "Economic situation: income/savings [TJS]? and more words"
FAMILIES = {"pwi_women": "Wellbeing", "self_esteem_women": "Self-esteem",
            "income_women": LONG_FAMILY}
NOTES = [("Denominators", "Don't know stays in the denominator."),
         ("PWI missing rule", "A PWI score needs at least 6 of 7 domains."),
         ("Suppression", "Fewer than 25 respondents in a round: estimate withheld, n shown.")]
PROVENANCE = {"run_id": "run-123", "created_at": "2026-01-02T03:04:05+00:00",
              "code_version": "abc1234",
              "inputs": [{"round": "baseline", "file": "base.sav", "sha256": "a" * 64, "rows": 598},
                         {"round": "endline", "file": "end.csv", "sha256": "b" * 64, "rows": 456}],
              "declarations": {"project.yaml": "c" * 64, "indicators.yaml": "d" * 64}}
HEADLINE = {"comparison": "baseline_to_endline", "unit": "points", "direction": "higher_is_better",
            "test": "Welch t (unequal variances)", "statistic": 5.9, "design": "independent",
            "target": math.nan, "target_met": None, "effect_size": 0.4,
            "effect_size_kind": "Cohen's d", "base_round": "baseline", "end_round": "endline"}


def comparison_row(indicator, label, group="all", category=None, flags="independent",
                   n=(381, 277), est=(58.11336, 64.78683), p=(0.0000021, 0.0000060), **extra):
    base, end = est
    return {**HEADLINE, "indicator": indicator, "label": label, "group": group,
            "category": category, "flags": flags, "n_base": n[0], "n_end": n[1],
            "estimate_base": base, "ci_low_base": base - 1.48, "ci_high_base": base + 1.48,
            "estimate_end": end, "ci_low_end": end - 1.65, "ci_high_end": end + 1.65,
            "change": end - base, "change_ci_low": end - base - 2.2,
            "change_ci_high": end - base + 2.2, "relative_change": (end - base) / base * 100,
            "p_value": p[0], "p_adjusted": p[1], "assessment": "improved", **extra}


@pytest.fixture
def comparison() -> pd.DataFrame:
    nan = math.nan
    rows = [
        comparison_row("pwi_women", "PWI-A, women", target=70.0, target_met="no"),
        comparison_row("pwi_women", "PWI-A, women", group="age_group=10-19",
                       flags="independent;suppressed", n=(6, 2), est=(nan, nan), p=(nan, nan),
                       test=None, assessment="not assessed"),
        comparison_row("pwi_women", "PWI-A, women", group="district=Dusti",
                       flags="panel;caution", n=(34, 34), est=(56.98179, 64.23669),
                       p=(0.0123, 0.0456)),
        comparison_row("self_esteem_women", "Rosenberg self-esteem, women", p=(0.2345, 0.3)),
        comparison_row("income_women", "Monthly household income", category="<=500",
                       unit="%", est=(49.0, 83.0)),
        comparison_row("unmapped_indicator", "An indicator without a family"),
    ]
    return pd.DataFrame(rows)


@pytest.fixture
def estimates() -> pd.DataFrame:
    base = {"category": None, "unit": "%", "sd": math.nan, "se": 1.0, "not_scored": 0,
            "dont_know_share": 12.5, "median_category": None, "weighted": False,
            "df": math.nan, "deff": math.nan, "kish_deff": math.nan, "n_eff": math.nan}
    return pd.DataFrame([
        {**base, "indicator": "pwi_women", "round": "baseline", "group": "all", "n": 381,
         "numerator": 187.0, "denominator": 381.0, "estimate": 49.0813, "ci_low": 44.1,
         "ci_high": 54.1, "flags": None},
        {**base, "indicator": "pwi_women", "round": "baseline", "group": "age_group=10-19",
         "n": 6, "numerator": 4.0, "denominator": 6.0, "estimate": 66.6667, "ci_low": 30.0,
         "ci_high": 90.3, "flags": "suppressed"},
        {**base, "indicator": "pwi_women", "round": "endline", "group": "district=Dusti",
         "n": 34, "numerator": 20.0, "denominator": 34.0, "estimate": 58.8235, "ci_low": 42.2,
         "ci_high": 73.6, "flags": "caution"},
    ])


@pytest.fixture
def validation() -> pd.DataFrame:
    return pd.DataFrame({"round": ["baseline", "endline"], "file": ["base.sav", "end.csv"],
                         "raw_rows": [598, 456], "clean_rows": [590, 450],
                         "quarantined_rows": [8, 6], "failed: in range": [3, math.nan]})


@pytest.fixture
def workbook(tmp_path, comparison, estimates, validation) -> openpyxl.Workbook:
    path = tmp_path / "comparison.xlsx"
    write_workbook(path, comparison=comparison, estimates=estimates, families=FAMILIES,
                   notes=NOTES, validation=validation, provenance=PROVENANCE)
    return openpyxl.load_workbook(path)


def find_row(ws, column: str, value: str) -> dict:
    """The first data row whose `column` equals `value`, as header -> cell."""
    headers = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        cells = dict(zip(headers, row, strict=True))
        if cells[column].value == value:
            return cells
    raise AssertionError(f"no row with {column} = {value!r}")


def test_sheet_names_and_order(workbook):
    assert workbook.sheetnames == ["Contents", "Wellbeing", "Self-esteem",
                                   sheet_title(LONG_FAMILY, set()), "Other indicators",
                                   "Estimates", "Notes", "Validation"]


def test_family_sheet_name_is_sanitised():
    title = sheet_title(LONG_FAMILY, set())
    assert len(title) <= 31
    assert not set(title) & set("[]:*?/\\")
    assert title.startswith("Economic situation- income-sav")
    used = {"Notes"}
    assert sheet_title("notes", used) == "notes (2)"
    assert sheet_title("x" * 40, used) == "x" * 31
    assert sheet_title("x" * 40, used) == "x" * 27 + " (2)"
    assert sheet_title("'[]'", set()) == "--"


def test_headers_are_in_evaluator_language(workbook):
    family_headers = [c.value for c in workbook["Wellbeing"][1]]
    assert family_headers == [h for h, _ in FAMILY_COLUMNS]
    assert family_headers[:8] == ["Indicator", "Group", "Category", "Comparison", "Unit",
                                  "n (baseline)", "Baseline", "95% CI (baseline)"]
    assert "Change (pts or pp)" in family_headers and "Relative change (%)" in family_headers
    assert [c.value for c in workbook["Estimates"][1]] == [h for h, _ in ESTIMATE_COLUMNS]
    assert [c.value for c in workbook["Notes"][1]] == ["Topic", "Rule"]


@pytest.mark.parametrize("sheet", ["Wellbeing", "Other indicators", "Estimates", "Notes",
                                   "Validation"])
def test_header_is_frozen_bold_wrapped_and_filtered(workbook, sheet):
    ws = workbook[sheet]
    assert ws.freeze_panes == "A2"
    assert all(c.font.bold and c.alignment.wrap_text for c in ws[1])
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}"
    assert ws.column_dimensions["A"].width >= 10


def test_one_row_per_comparison_row_of_the_family(workbook):
    assert workbook["Wellbeing"].max_row == 1 + 3
    assert workbook["Self-esteem"].max_row == 1 + 1
    other = workbook["Other indicators"]
    assert other["A2"].value == "An indicator without a family"


def test_estimates_keep_unrounded_values_with_one_decimal_format(workbook):
    row = find_row(workbook["Wellbeing"], "Group", "all")
    assert row["Baseline"].value == pytest.approx(58.11336)
    assert row["Baseline"].number_format == "0.0"
    assert row["Endline"].number_format == "0.0"
    assert row["Change (pts or pp)"].value == pytest.approx(64.78683 - 58.11336)
    assert row["Change (pts or pp)"].number_format == "0.0"
    assert row["95% CI (baseline)"].value == "56.6 \u2013 59.6"
    assert row["n (baseline)"].value == 381
    assert row["Target"].value == 70 and row["Target met"].value == "no"


def test_p_values_format_and_small_p_text(workbook):
    small = find_row(workbook["Wellbeing"], "Group", "all")
    assert small["p"].value == "<0.001" and small["Adjusted p (BH)"].value == "<0.001"
    plain = find_row(workbook["Self-esteem"], "Group", "all")
    assert plain["p"].value == pytest.approx(0.2345)
    assert plain["p"].number_format == "0.000"
    assert plain["Adjusted p (BH)"].number_format == "0.000"


def test_suppressed_row_shows_star_and_still_shows_n(workbook):
    row = find_row(workbook["Wellbeing"], "Group", "age_group=10-19")
    for column in ["Baseline", "95% CI (baseline)", "Endline", "95% CI (endline)",
                   "Change (pts or pp)", "95% CI of change", "Relative change (%)", "p",
                   "Adjusted p (BH)"]:
        assert row[column].value == "*", column
    assert (row["n (baseline)"].value, row["n (endline)"].value) == (6, 2)
    assert row["Flags"].value == "independent; suppressed"


def test_suppressed_estimate_is_withheld_even_when_the_value_is_present(workbook):
    row = find_row(workbook["Estimates"], "Group", "age_group=10-19")
    assert row["Estimate"].value == "*" and row["95% CI"].value == "*"
    assert row["Numerator"].value == "*" and row["Don't know (%)"].value == "*"
    assert row["n"].value == 6
    values = [c.value for r in workbook["Estimates"].iter_rows() for c in r]
    assert not any(isinstance(v, float) and v == pytest.approx(66.6667) for v in values)


def test_caution_row_shows_parentheses(workbook):
    row = find_row(workbook["Wellbeing"], "Group", "district=Dusti")
    assert row["Baseline"].value == pytest.approx(56.98179)
    assert row["Baseline"].number_format == CAUTION_FORMAT == '"("0.0")";"(-"0.0")"'
    assert row["Endline"].number_format == CAUTION_FORMAT
    assert row["95% CI (baseline)"].value == "(55.5 \u2013 58.5)"
    assert row["p"].number_format == "0.000"
    estimate = find_row(workbook["Estimates"], "Group", "district=Dusti")
    assert estimate["Estimate"].number_format == CAUTION_FORMAT
    assert estimate["95% CI"].value == "(42.2 \u2013 73.6)"
    plain = find_row(workbook["Estimates"], "Group", "all")
    assert plain["Estimate"].number_format == "0.0"
    assert plain["95% CI"].value == "44.1 \u2013 54.1"


def test_display_rounding_is_half_away_from_zero_like_excel():
    assert format_one_decimal(45.25) == "45.3"
    assert format_one_decimal(-2.35) == "-2.4"
    assert format_one_decimal(-0.04) == "0.0"


def test_every_note_is_written(workbook):
    rows = list(workbook["Notes"].iter_rows(min_row=2, values_only=True))
    assert rows == NOTES
    assert workbook["Notes"]["B2"].alignment.wrap_text
    assert workbook["Notes"].column_dimensions["B"].width >= 80


def test_validation_is_written_as_given(workbook, validation):
    rows = list(workbook["Validation"].values)
    assert rows[0] == tuple(validation.columns)
    assert rows[1] == ("baseline", "base.sav", 598, 590, 8, 3)
    assert rows[2] == ("endline", "end.csv", 456, 450, 6, None)


def test_contents_shows_run_sheets_and_hashes(workbook):
    values = [v for row in workbook["Contents"].iter_rows(values_only=True) for v in row if v]
    for expected in ["run-123", "2026-01-02T03:04:05+00:00", "abc1234", "a" * 64, "b" * 64,
                     "c" * 64, "d" * 64, "base.sav", 598, "project.yaml"]:
        assert expected in values
    for sheet in workbook.sheetnames:
        assert sheet in values
    assert workbook["Contents"]["A1"].font.bold


@pytest.mark.skipif(not (ROOT / "outputs" / "comparison.csv").exists(),
                    reason="no pipeline outputs in this checkout")
def test_real_outputs_write_and_withhold_suppressed_rows(tmp_path, validation):
    comparison = pd.read_csv(ROOT / "outputs" / "comparison.csv")
    estimates = pd.read_csv(ROOT / "outputs" / "indicator_estimates.csv")
    families = {i: "Wellbeing" for i in comparison["indicator"].unique()[:2]}
    path = tmp_path / "real.xlsx"
    write_workbook(path, comparison=comparison, estimates=estimates, families=families,
                   notes=NOTES, validation=validation, provenance=PROVENANCE)
    book = openpyxl.load_workbook(path)
    shown = sum(ws.max_row - 1 for ws in book if ws.title in {"Wellbeing", "Other indicators"})
    assert shown == len(comparison)
    estimates_sheet = book["Estimates"]
    flags = [c.value for c in estimates_sheet["M"][1:]]
    stars = [c.value for c in estimates_sheet["I"][1:]]
    assert all((s == "*") == ("suppressed" in (f or "")) for f, s in zip(flags, stars,
                                                                            strict=True))
