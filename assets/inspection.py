"""What a raw file holds: format, platform, rows, and per variable its labels and missing values."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from assets.harmonize import file_missing_mask
from assets.platforms import SURVEY_SOLUTIONS_UNANSWERED
from assets.readers import SOURCE_FILE, SOURCE_ROW, detect_platform, read_raw_file


def variable_type(raw_type: str | None, values: pd.Series) -> str:
    """'numeric' or 'string': the file's own type where it has one, else what the text holds."""
    if raw_type:
        return raw_type
    present = values.dropna()
    numeric = pd.to_numeric(present, errors="coerce").notna().all()
    return "numeric" if len(present) and numeric else "string"


def inspect_file(path: Path, encoding: str | None = None, sheet: str | None = None) -> dict:
    """The inspection report of one raw file (the `inspect --json` document)."""
    raw = read_raw_file(path, encoding=encoding, sheet=sheet)
    frame = raw.frame.drop(columns=[SOURCE_FILE, SOURCE_ROW])
    variables = []
    for name in frame.columns:
        values = frame[name]
        user_missing = raw.user_missing.get(name, [])
        n_user = int(file_missing_mask(values, user_missing).sum()) if user_missing else 0
        n_unanswered = int(values.isin(SURVEY_SOLUTIONS_UNANSWERED).sum())
        variables.append({
            "name": name,
            "label": raw.variable_labels.get(name, ""),
            "type": variable_type(raw.variable_types.get(name), values),
            "value_labels": raw.value_labels.get(name, {}),
            "missing_values": user_missing,
            "n_missing": {"empty": int(values.isna().sum()), "user_missing": n_user,
                          "unanswered": n_unanswered},
        })
    return {"file": str(path), "format": raw.format, "platform": detect_platform(
        list(frame.columns)), "n_rows": len(frame), "file_label": raw.file_label,
        "variables": variables, "encoding": raw.encoding, "sheet": raw.sheet,
        "notes": raw.notes, "multiple_response_sets": raw.mr_sets, "warnings": raw.warnings}


def format_inspection(report: dict) -> str:
    """The inspection report as text for a terminal."""
    lines = [f"{report['file']}: {report['format']}, platform {report['platform']}, "
             f"{report['n_rows']} rows" + (f", label {report['file_label']!r}"
                                           if report["file_label"] else "")]
    for v in report["variables"]:
        missing = ", ".join(f"{k} {n}" for k, n in v["n_missing"].items() if n)
        extras = [f"{len(v['value_labels'])} value labels" if v["value_labels"] else "",
                  f"user-missing {v['missing_values']}" if v["missing_values"] else "",
                  f"missing: {missing}" if missing else ""]
        detail = "; ".join(e for e in extras if e)
        lines.append(f"  {v['name']:<40} {v['type']:<8} {v['label'][:40]:<40} {detail}")
    lines += [f"  note: {note}" for note in report.get("notes", [])]
    lines += [f"  multiple-response set {name}: {spec}"
              for name, spec in report.get("multiple_response_sets", {}).items()]
    lines += [f"  warning: {warning}" for warning in report.get("warnings", [])]
    return "\n".join(lines)
