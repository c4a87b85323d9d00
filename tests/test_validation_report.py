"""The validation workbook and HTML section: sheets, counts, masking, injection safety, formats."""

import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from assets import validation_report
from assets.validation_report import (
    MASK,
    PERCENT_FORMAT,
    PERCENT_POINTS_FORMAT,
    failure_counts,
    mask_personal,
    validation_summary_html,
    write_validation_report,
)

SHEETS = ["Contents", "Summary", "Failures", "Quarantine", "Duplicates", "Fieldwork quality",
          "Fieldwork flags", "Corrections"]
PHONE = "+992 900 12 34 56"
INJECTIONS = ["=1+1", "+SUM(A1:A2)", "-2+3", "@cmd", "=HYPERLINK(\"http://x\")"]


def frames() -> dict[str, pd.DataFrame]:
    summary = pd.DataFrame({"round": ["baseline", "endline"], "file": ["base.sav", "end.csv"],
                            "raw": [600, 460], "clean": [598, 450], "quarantined": [2, 10],
                            "balanced": [True, True]})
    failures = pd.DataFrame({
        "round": ["baseline", "baseline", "endline", "endline", "endline", "endline", "endline"],
        "source_file": ["base.sav", "base.sav", *["end.csv"] * 5],
        "source_row": [3, 7, 2, 2, 5, 9, 11],
        "respondent_id": ["B3", "B7", "E2", "E2", "E5", "E9", "E11"],
        "column": ["age", "age", "phone", "pwi_health", "pwi_health", "notes", "notes"],
        "rule": ["in range [10, 99]", "in range [10, 99]", "looks personal",
                 "one of the codes", "one of the codes", "free text", "free text"],
        "value": ["150", "-4", PHONE, "=1+1", "@cmd", "-2+3", "+SUM(A1:A2)"]})
    quarantine = pd.DataFrame({
        "respondent_id": ["B3", "E2"], "age": [150, 30], "phone": [PHONE, None],
        "notes": ["=1+1", "ok"], "round": ["baseline", "endline"],
        "source_file": ["base.sav", "end.csv"], "source_row": [3, 2],
        "reasons": ["age: in range [10, 99]", "phone: looks personal; pwi_health: codes"]})
    duplicates = pd.DataFrame({"round": ["endline"] * 3, "source_file": ["end.csv"] * 3,
                               "source_row": [4, 8, 12], "respondent_id": ["E4", "E4", "E12"],
                               "kind": ["duplicate id"] * 2 + ["exact duplicate"],
                               "resolution": ["keep", "drop", "unresolved"]})
    fieldwork = pd.DataFrame({
        "round": ["endline"] * 2, "enumerator": ["enum_01", "enum_02"], "interviews": [230, 230],
        "median_minutes": [41.5, 12.25], "duration_change": [-3.5, -12],
        "straightlining_share": [0.02, 0.315], "dont_know_pct": [4.2, 19.0]})
    fieldwork_flags = pd.DataFrame({
        "round": ["endline"] * 4, "source_file": ["end.csv"] * 4, "source_row": [2, 3, 4, 5],
        "respondent_id": ["E2", "E3", "E4", "E5"], "enumerator": ["enum_02"] * 4,
        "flag": ["too short", "straightlining", "too short", "outlier"],
        "started": pd.to_datetime(["2025-05-01 08:00"] * 4).tz_localize("Asia/Dushanbe")})
    corrections = pd.DataFrame({
        "round": ["baseline", "endline"], "source_file": ["base.sav", "end.csv"],
        "source_row": [3, 6], "respondent_id": ["B3", "E6"], "column": ["age", "phone"],
        "old_value": ["150", PHONE], "new_value": ["15", "+992 000 00 00 00"],
        "reason": ["typo confirmed by supervisor", "-"]})
    return {"summary": summary, "failures": failures, "quarantine": quarantine,
            "duplicates": duplicates, "fieldwork": fieldwork, "fieldwork_flags": fieldwork_flags,
            "corrections": corrections}


@pytest.fixture
def report(tmp_path: Path) -> Path:
    path = tmp_path / "validation_report.xlsx"
    write_validation_report(path, **frames(), personal_columns={"phone"})
    return path


def header(ws) -> list:
    return [c.value for c in ws[1]]


def data_rows(ws) -> int:
    return ws.max_row - 1


def test_sheets_and_headers(report: Path) -> None:
    wb = openpyxl.load_workbook(report)
    assert wb.sheetnames == SHEETS
    assert header(wb["Summary"]) == ["round", "file", "raw", "clean", "quarantined", "balanced",
                                     "quarantined_share"]
    assert header(wb["Failures"]) == ["round", "source_file", "source_row", "respondent_id",
                                      "column", "rule", "value"]
    assert header(wb["Quarantine"])[:4] == ["round", "source_file", "source_row", "reasons"]
    assert set(header(wb["Quarantine"])) == set(frames()["quarantine"].columns)
    assert header(wb["Fieldwork quality"])[:3] == ["round", "enumerator", "interviews"]
    assert header(wb["Corrections"])[-1] == "reason"
    for name in SHEETS[1:]:
        ws = wb[name]
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref.startswith("A1:")
        assert all(c.font.bold for c in ws[1])
        assert all(ws.column_dimensions[c.column_letter].width >= 8 for c in ws[1])


def test_contents_explains_sheets_and_resolution(report: Path) -> None:
    ws = openpyxl.load_workbook(report)["Contents"]
    text = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
    for name in SHEETS[1:]:
        assert name in text
    assert "corrections file" in text
    assert "duplicates resolution file" in text
    rows = {r[0].value: r[2].value for r in ws.iter_rows() if r[0].value in SHEETS}
    assert rows["Failures"] == 7 and rows["Quarantine"] == 2 and rows["Fieldwork flags"] == 4


def test_row_counts_per_sheet(report: Path) -> None:
    wb = openpyxl.load_workbook(report)
    expected = {"Failures": 7, "Quarantine": 2, "Duplicates": 3, "Fieldwork quality": 2,
                "Fieldwork flags": 4, "Corrections": 2}
    assert {name: data_rows(wb[name]) for name in expected} == expected
    assert wb["Failures"].auto_filter.ref == "A1:G8"


def test_long_sheets_are_cut_and_the_contents_say_where_every_row_is(tmp_path: Path,
                                                                   monkeypatch) -> None:
    monkeypatch.setattr(validation_report, "MAX_SHEET_ROWS", 3)
    path = tmp_path / "validation_report.xlsx"
    write_validation_report(path, **frames())
    wb = openpyxl.load_workbook(path)
    assert data_rows(wb["Failures"]) == 3 and data_rows(wb["Fieldwork flags"]) == 3
    assert data_rows(wb["Quarantine"]) == 2 and data_rows(wb["Corrections"]) == 2
    contents = [c.value for row in wb["Contents"].iter_rows() for c in row if c.value]
    assert "first 3 of 7 (all in validation_failures.csv)" in contents
    assert "first 3 of 4 (all in validation/fieldwork_flags.parquet)" in contents


def test_summary_has_counts_then_failures_by_rule(report: Path) -> None:
    ws = openpyxl.load_workbook(report)["Summary"]
    assert [c.value for c in ws[2]][:6] == ["baseline", "base.sav", 600, 598, 2, True]
    assert ws["G3"].value == pytest.approx(10 / 460)
    assert ws["A5"].value == "Failures by rule"
    assert [c.value for c in ws[6]][:4] == ["round", "column", "rule", "failures"]
    counts = [[c.value for c in row][:4] for row in ws.iter_rows(min_row=7)]
    assert counts[0] == ["baseline", "age", "in range [10, 99]", 2]
    assert sum(r[3] for r in counts) == 7 and len(counts) == 4
    assert ws.auto_filter.ref == "A1:G3"


def test_numbers_stay_numbers_and_rates_are_percentages(report: Path) -> None:
    wb = openpyxl.load_workbook(report)
    summary = wb["Summary"]
    assert summary["G2"].number_format == PERCENT_FORMAT
    assert isinstance(summary["C2"].value, int)
    ws = wb["Fieldwork quality"]
    cols = {c.value: c.column_letter for c in ws[1]}
    share, pct = ws[f"{cols['straightlining_share']}3"], ws[f"{cols['dont_know_pct']}3"]
    assert share.value == pytest.approx(0.315) and share.number_format == PERCENT_FORMAT
    assert pct.value == pytest.approx(19.0) and pct.number_format == PERCENT_POINTS_FORMAT
    change = ws[f"{cols['duration_change']}2"]
    assert change.value == pytest.approx(-3.5) and change.data_type == "n"
    assert ws[f"{cols['duration_change']}3"].value == -12
    assert ws[f"{cols['median_minutes']}2"].value == pytest.approx(41.5)
    flags = wb["Fieldwork flags"]
    started = flags.cell(row=2, column=header(flags).index("started") + 1).value
    assert started == pd.Timestamp("2025-05-01 03:00").to_pydatetime()  # UTC, naive


def test_formula_injection_is_written_as_text(report: Path) -> None:
    wb = openpyxl.load_workbook(report)
    values = [wb["Failures"].cell(row=r, column=7) for r in range(2, 9)]
    written = {c.value: c for c in values}
    for text in ["=1+1", "@cmd", "-2+3", "+SUM(A1:A2)"]:
        assert written[text].data_type == "s"
        assert written[text].quotePrefix
    assert written["-4"].data_type == "s"  # the raw value stays the text that was read
    assert wb["Quarantine"].cell(row=2, column=header(wb["Quarantine"]).index("notes") + 1
                                 ).value == "=1+1"
    with zipfile.ZipFile(report) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert not any("<f>" in archive.read(n).decode() for n in sheets)


def test_injection_in_every_position(tmp_path: Path) -> None:
    data = frames()
    data["corrections"] = pd.DataFrame({"column": ["age"] * len(INJECTIONS),
                                        "new_value": INJECTIONS, "reason": INJECTIONS,
                                        "delta": [-1, -2.5, 0, 3, -7]})
    data["summary"].loc[0, "file"] = "=cmd|' /C calc'!A0"
    path = tmp_path / "v.xlsx"
    write_validation_report(path, **data)
    wb = openpyxl.load_workbook(path)
    assert wb["Summary"]["B2"].value == "=cmd|' /C calc'!A0"
    assert wb["Summary"]["B2"].data_type == "s"
    ws = wb["Corrections"]
    assert [ws.cell(row=r, column=2).value for r in range(2, 7)] == INJECTIONS
    assert all(ws.cell(row=r, column=c).data_type == "s" for r in range(2, 7) for c in (2, 3))
    assert [ws.cell(row=r, column=4).value for r in range(2, 7)] == [-1, -2.5, 0, 3, -7]
    assert all(ws.cell(row=r, column=4).data_type == "n" for r in range(2, 7))


def test_personal_values_are_masked(report: Path) -> None:
    wb = openpyxl.load_workbook(report)
    everything = [c.value for ws in wb for row in ws.iter_rows() for c in row]
    assert PHONE not in everything
    assert not any(isinstance(v, str) and "992" in v for v in everything)
    failures = wb["Failures"]
    phone_row = next(r for r in failures.iter_rows(min_row=2) if r[4].value == "phone")
    assert phone_row[6].value == MASK
    assert next(r for r in failures.iter_rows(min_row=2) if r[4].value == "age")[6].value == "150"
    quarantine = wb["Quarantine"]
    phone = header(quarantine).index("phone")
    assert [r[phone].value for r in quarantine.iter_rows(min_row=2)] == [MASK, None]
    corrections = wb["Corrections"]
    masked = next(r for r in corrections.iter_rows(min_row=2) if r[4].value == "phone")
    assert masked[5].value == MASK and masked[6].value == MASK
    assert masked[7].value == "-"  # the reason is not a value column


def test_mask_personal_is_case_insensitive_and_keeps_the_input() -> None:
    frame = pd.DataFrame({"Phone": ["123456", None], "column": ["PHONE", "age"],
                          "value": ["123456", "40"], "n": [1, 2]})
    masked = mask_personal(frame, {"phone"})
    assert masked["Phone"].iloc[0] == MASK and pd.isna(masked["Phone"].iloc[1])
    assert masked["value"].tolist() == [MASK, "40"]
    assert masked["n"].tolist() == [1, 2]
    assert frame["Phone"].tolist()[0] == "123456"


def test_empty_frames_still_give_every_sheet_with_its_header(tmp_path: Path) -> None:
    data = {name: frame.iloc[0:0] for name, frame in frames().items()}
    data["duplicates"] = pd.DataFrame()  # no columns at all: the default header
    path = tmp_path / "empty.xlsx"
    write_validation_report(path, **data)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == SHEETS
    for name, frame in [("Failures", data["failures"]), ("Corrections", data["corrections"]),
                        ("Fieldwork flags", data["fieldwork_flags"])]:
        assert header(wb[name]) == list(frame.columns)
        assert data_rows(wb[name]) == 0
    assert header(wb["Quarantine"])[:4] == ["round", "source_file", "source_row", "reasons"]
    assert header(wb["Duplicates"])[:3] == ["round", "source_file", "source_row"]
    assert header(wb["Summary"])[-1] == "quarantined_share"
    assert failure_counts(data["failures"]).columns.tolist() == ["round", "column", "rule",
                                                                 "failures"]


def test_html_section_escapes_and_formats() -> None:
    data = frames()
    summary = data["summary"].copy()
    summary.loc[1, "file"] = "<script>alert(1)</script>.csv"
    by_rule = pd.DataFrame({"column": ["age", "notes"], "rule": ["in range", "a & b <b>"],
                            "rows": [2, 3]})
    html = validation_summary_html(summary, by_rule, data["fieldwork"])
    assert html.startswith('<section id="validation">') and html.endswith("</section>")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;.csv" in html
    assert "a &amp; b &lt;b&gt;" in html
    assert html.count("<table>") == 3
    assert "31.5%" in html and "19.0%" in html and "2.2%" in html  # shares and quarantined
    assert "\u22123.50" in html  # negative numbers shown with a minus sign
    assert '<td class="num">600</td>' in html


def test_html_section_with_empty_tables() -> None:
    html = validation_summary_html(frames()["summary"], pd.DataFrame(columns=["column", "rule",
                                                                              "rows"]),
                                   pd.DataFrame())
    assert html.count("<table>") == 1 and "None." in html
