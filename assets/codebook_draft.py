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


UNTAGGED = "base"  # the round of a wide file's columns without a round tag
ROUND_COLUMN_NAMES = re.compile(r"^(round|wave|survey_round|survey_wave|phase|period|time)$",
                                re.IGNORECASE)
# Per-round name patterns of wide files, as (regex with stem and tag groups, tag order).
ROUND_TAGS: list[tuple[re.Pattern[str], list[str]]] = [
    (re.compile(r"^(?P<stem>.+)_(?P<tag>bl|ml|el)$", re.IGNORECASE), ["bl", "ml", "el"]),
    (re.compile(r"^(?P<stem>.+)_(?P<tag>baseline|midline|endline)$", re.IGNORECASE),
     ["baseline", "midline", "endline"]),
    (re.compile(r"^(?P<stem>.+)_(?P<tag>\d+[my])$", re.IGNORECASE), None),
    (re.compile(r"^(?P<tag>w\d+)_(?P<stem>.+)$", re.IGNORECASE), None),
    (re.compile(r"^(?P<stem>.*[a-z_])(?P<tag>[12])$", re.IGNORECASE), ["1", "2"]),
]


def _tag_order(tag: str) -> tuple[float, str]:
    if tag == UNTAGGED:
        return -1.0, tag
    number = re.match(r"w?(\d+)([my]?)", tag, re.IGNORECASE)
    if number:  # 6m before 1y: months, years in months
        value = float(number.group(1)) * (12 if number.group(2).lower() == "y" else 1)
        return value, tag
    return 0.0, tag


def _round_name(tag: str) -> str:
    name = canonical_name(tag)
    return f"round_{name[2:]}" if name.startswith("v_") else name


def round_column_candidates(raw: RawFile) -> list[str]:
    """Columns that look like a round indicator of a pooled (long) file."""
    columns = [c for c in raw.frame.columns if c not in (SOURCE_FILE, SOURCE_ROW)]
    return [c for c in columns if ROUND_COLUMN_NAMES.match(c)
            and 2 <= raw.frame[c].nunique() <= 6]


def wide_round_columns(columns: list[str]) -> tuple[list[str], dict[str, dict[str, str]]]:
    """The round tags of a wide file and, per stem, its column in each round (best pattern)."""
    best: tuple[list[str], dict[str, dict[str, str]]] = ([], {})
    for pattern, order in ROUND_TAGS:
        stems: dict[str, dict[str, str]] = {}
        for column in columns:
            match = pattern.match(column)
            if match:
                stems.setdefault(match.group("stem"), {})[match.group("tag").lower()] = column
        stems = {s: tags for s, tags in stems.items() if len(tags) >= 2}
        for stem, found in stems.items():
            if stem in columns:  # `empowered` beside `empowered_6m`, `empowered_1y`: round 0
                found[UNTAGGED] = stem
        known = order or []
        tags = sorted({t for found in stems.values() for t in found},
                      key=lambda t, known=known: ((known.index(t) if t in known else -1), "")
                      if known else _tag_order(t))
        if len(stems) > len(best[1]):
            best = (tags, stems)
    return best


def draft_single_file(raw: RawFile) -> str:
    """A draft codebook and round declarations for one file holding several rounds."""
    columns = [c for c in raw.frame.columns if c not in (SOURCE_FILE, SOURCE_ROW)]
    pooled = round_column_candidates(raw)
    if pooled:
        column = pooled[0]
        labels = raw.value_labels.get(column, {})
        values = sorted(raw.frame[column].dropna().unique(), key=_tag_order)
        rounds = {_round_name(labels.get(v, v)): v for v in values}
        sources = {c: dict.fromkeys(rounds, c) for c in columns if c != column}
        declaration = [{"name": name, "label": name, "files": [raw.path.name], "layout": "long",
                        "round_column": column, "round_value": value}
                       for name, value in rounds.items()]
        how = f"a pooled (long) file: column {column!r} says the round"
    else:
        tags, stems = wide_round_columns(columns)
        if not stems:
            raise ValueError(f"{raw.path}: no round column and no per-round column names "
                             "(_bl/_el, _baseline/_endline, _6m/_1y, w1_/w2_, trailing 1/2)")
        rounds = {_round_name(t): t for t in tags}
        tagged = {c for found in stems.values() for c in found.values()}
        sources = {stem: {r: found.get(t) for r, t in rounds.items()}
                   for stem, found in stems.items()}
        sources |= {c: dict.fromkeys(rounds, c) for c in columns if c not in tagged}
        declaration = [{"name": name, "label": name, "files": [raw.path.name], "layout": "wide"}
                       for name in rounds]
        how = f"a wide file: per-round columns tagged {list(rounds.values())}"
    variables = []
    for stem, by_round in sources.items():
        column = next(c for c in by_round.values() if c)
        entry = _variable(canonical_name(stem), column, [raw])
        entry["sources"] = by_round
        variables.append(entry)
    header = (f"# Draft codebook for {raw.path.name}, read as {how}.\n# Review it: confirm the "
              "rounds, map or delete absent (null) sources, check codes.\n# Proposed rounds "
              "for project.yaml:\n")
    proposal = "".join(f"#   {line}\n" for line in yaml.safe_dump(
        {"rounds": declaration}, sort_keys=False, allow_unicode=True).splitlines())
    body = yaml.safe_dump({"variables": variables}, sort_keys=False, allow_unicode=True,
                          width=100)
    return header + proposal + body
