"""Formula injection: published CSV cells never start a spreadsheet formula."""

from __future__ import annotations

import pandas as pd

from assets.spreadsheet_safety import safe_frame, write_safe_csv


def test_formula_like_text_is_prefixed_and_numbers_are_not():
    frame = pd.DataFrame({
        "value": pd.array(["=HYPERLINK(\"http://x\")", "+1 555", "-cmd", "@SUM(A1)", "-1.5",
                           "+2", "1e-3", "ordinary", None, "\tTAB"], dtype="string"),
        "change": [-1.5, 2.0, 0.0, 1.0, -3.0, 1.0, 0.5, 0.0, 1.0, 2.0],
    })
    safe = safe_frame(frame)
    assert safe["value"].tolist()[:8] == ["'=HYPERLINK(\"http://x\")", "'+1 555", "'-cmd",
                                          "'@SUM(A1)", "-1.5", "+2", "1e-3", "ordinary"]
    assert pd.isna(safe["value"].iloc[8]) and safe["value"].iloc[9] == "'\tTAB"
    assert safe["change"].tolist() == frame["change"].tolist()
    assert frame["value"].iloc[0].startswith("=")  # the input is not modified


def test_a_hostile_column_name_is_neutralised_too(tmp_path):
    frame = pd.DataFrame({"=cmd|' /C calc'!A0": ["x"], "ok": [1]})
    write_safe_csv(frame, tmp_path / "t.csv")
    header = (tmp_path / "t.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("'=cmd")


def test_a_frame_without_risky_cells_is_written_unchanged(tmp_path):
    frame = pd.DataFrame({"indicator": ["pwi_women"], "category": ["<=500"], "n": [382]})
    write_safe_csv(frame, tmp_path / "a.csv")
    frame.to_csv(tmp_path / "b.csv", index=False)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
