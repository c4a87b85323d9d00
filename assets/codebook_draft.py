"""Draft a codebook from the raw files of several rounds, for a consultant to review.

Variables with the same name in every round (after dropping a group path, `wellbeing/pwi` ->
`pwi`, and case) are matched; the rest are listed with the other rounds set to null (absent),
under a comment asking the consultant to map or delete them. Nothing is guessed silently: names
that look personal are marked `personal: true`, value labels are copied from the files.
"""

from __future__ import annotations

import re

import pandas as pd
import yaml

from assets.readers import SOURCE_FILE, SOURCE_ROW, RawFile

PERSONAL_HINTS = re.compile(r"(name|phone|mobile|gps|latitude|longitude|altitude|precision|"
                            r"address|email|deviceid|username)", re.IGNORECASE)


def canonical_name(column: str) -> str:
    """A codebook name for a source column: last group path part, lower case, underscores."""
    name = re.sub(r"[^0-9a-z]+", "_", column.split("/")[-1].lower()).strip("_")
    return name if re.match(r"^[a-z]", name) else f"v_{name}"


def _variable(name: str, column: str, raws: list[RawFile]) -> dict:
    values = pd.concat([r.frame[column] for r in raws if column in r.frame]).dropna()
    labels = next((r.value_labels[column] for r in raws if column in r.value_labels), {})
    labels = {code: text for code, text in labels.items() if code not in
              {m for r in raws for m in r.user_missing.get(column, [])}}
    numbers = pd.to_numeric(values, errors="coerce")
    if labels:
        kind = "category"
    elif len(values) and numbers.notna().all():
        kind = "integer" if (numbers == numbers.round()).all() else "number"
    else:
        kind = "string"
    label = next((r.variable_labels[column] for r in raws if column in r.variable_labels),
                 column)
    entry: dict = {"name": name, "label": label, "type": kind}
    if labels:
        entry["labels"] = labels
    if PERSONAL_HINTS.search(column):
        entry["personal"] = True
    return entry


def draft_codebook(rounds: dict[str, list[RawFile]]) -> str:
    """YAML text of a draft codebook for the given rounds' parsed files."""
    columns = {r: {c: canonical_name(c) for f in files for c in f.frame.columns
                   if c not in (SOURCE_FILE, SOURCE_ROW)} for r, files in rounds.items()}
    by_name = {r: {name: column for column, name in cols.items()} for r, cols in columns.items()}
    shared = [n for n in dict.fromkeys(n for cols in by_name.values() for n in cols)
              if all(n in names for names in by_name.values())]
    matched, unmatched = [], []
    for name in shared:
        entry = _variable(name, by_name[next(iter(rounds))][name],
                          [f for files in rounds.values() for f in files])
        entry["sources"] = {r: by_name[r][name] for r in rounds}
        matched.append(entry)
    for round_name, names in by_name.items():
        for name, column in names.items():
            if name in shared:
                continue
            entry = _variable(f"{name}_{round_name}" if any(
                name in other for r, other in by_name.items() if r != round_name) else name,
                column, rounds[round_name])
            entry["sources"] = {r: column if r == round_name else None for r in rounds}
            unmatched.append(entry)
    header = ("# Draft codebook: review every entry. Matched variables share a name in every "
              "round;\n# check their codes. Unmatched ones are absent (null) in the other rounds: "
              "map them to\n# the variable they correspond to, or delete them.\n")
    body = yaml.safe_dump({"variables": matched}, sort_keys=False, allow_unicode=True,
                          width=100)
    rest = yaml.safe_dump(unmatched, sort_keys=False, allow_unicode=True, width=100)
    unmatched_block = ("\n# --- unmatched: map or delete\n" + rest) if unmatched else ""
    return header + body + unmatched_block
