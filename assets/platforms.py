"""Recognise the fieldwork platform of a raw export and normalise its meta columns.

Which meta columns each platform exports is described in ../shared/spec/inputs.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

GENERIC = "generic"
SURVEY_SOLUTIONS = "survey_solutions"

# (platform, columns that together identify its exports), most specific first. SurveyCTO and
# ODK Central share KEY and SubmissionDate, so SurveyCTO's own columns are tested before them.
# A marker matches a column of that name or one whose last group-path segment has that name
# (`instanceID` matches `meta-instanceID` and `meta/instanceID`).
PLATFORM_MARKERS: list[tuple[str, frozenset[str]]] = [
    ("surveycto", frozenset({"KEY", "SubmissionDate", "formdef_version"})),
    ("surveycto", frozenset({"KEY", "formdef_version"})),
    ("surveycto", frozenset({"SubmissionDate", "formdef_version"})),
    ("surveycto", frozenset({"KEY", "SubmissionDate", "review_status"})),
    ("odk_central", frozenset({"SubmissionDate", "KEY", "ReviewState"})),
    ("odk_central", frozenset({"KEY", "SubmitterID"})),
    ("odk_central", frozenset({"KEY", "FormVersion"})),
    ("odk_central", frozenset({"SubmissionDate", "instanceID"})),
    ("kobotoolbox", frozenset({"_uuid", "_submission_time"})),
    ("kobotoolbox", frozenset({"_id", "_submission_time"})),
    ("kobotoolbox", frozenset({"_uuid", "__version__"})),
    ("kobotoolbox", frozenset({"_submission_time", "__version__"})),
    (SURVEY_SOLUTIONS, frozenset({"interview__id"})),
    (SURVEY_SOLUTIONS, frozenset({"interview__key"})),
    (SURVEY_SOLUTIONS, frozenset({"ssSys_IRnd"})),
    (SURVEY_SOLUTIONS, frozenset({"sssys_irnd"})),
    (SURVEY_SOLUTIONS, frozenset({"Id", "ParentId1"})),
]

CANONICAL_META = (
    "submission_id", "submitted_at", "form_version", "enumerator", "review_status", "device",
)

# canonical name -> candidate source columns, first present wins (matched like the markers)
META_SOURCES: dict[str, dict[str, tuple[str, ...]]] = {
    "kobotoolbox": {
        "submission_id": ("_uuid", "instanceID"),
        "submitted_at": ("_submission_time",),
        "form_version": ("__version__",),
        "enumerator": ("_submitted_by", "username"),
        "review_status": ("_validation_status",),
        "device": ("deviceid",),
    },
    "odk_central": {
        "submission_id": ("KEY", "instanceID"),
        "submitted_at": ("SubmissionDate",),
        "form_version": ("FormVersion",),
        "enumerator": ("SubmitterName", "SubmitterID"),
        "review_status": ("ReviewState",),
        "device": ("DeviceID", "deviceid"),
    },
    "surveycto": {
        "submission_id": ("KEY", "instanceID"),
        "submitted_at": ("SubmissionDate",),
        "form_version": ("formdef_version",),
        "enumerator": ("username",),
        "review_status": ("review_status",),
        "device": ("deviceid",),
    },
    # the main file has no submission time, form version or device column
    SURVEY_SOLUTIONS: {
        "submission_id": ("interview__id", "interview__key", "Id"),
        "enumerator": ("responsible", "interviewer", "responsible_name"),
        "review_status": ("interview__status",),
    },
    GENERIC: {},
}

SURVEY_SOLUTIONS_UNANSWERED = frozenset({"-999999999", "##N/A##"})

# Kobo's `2023-05-04T10:11:12` and ODK's `...12.123Z` are ISO; SurveyCTO writes `May 4, 2023
# 10:11:12 AM`. Times without an offset are taken as UTC (what the platforms' servers export).
_ISO_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}.*)?$")
_TEXT_FORMATS = ("%b %d, %Y %I:%M:%S %p", "%B %d, %Y %I:%M:%S %p", "%b %d, %Y %H:%M:%S")
_GROUP_SEPARATORS = re.compile(r"[/.-]")
UTC_ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # whole seconds: only ODK gives fractions


@dataclass(frozen=True)
class CanonicalMeta:
    """Canonical meta columns of an export, and the submission times that did not parse."""

    frame: pd.DataFrame
    unparsed: pd.DataFrame  # columns row (index label), column (source column), value


def _leaf(name: str) -> str:
    return _GROUP_SEPARATORS.split(name)[-1]


def _find(candidates: Iterable[str], columns: list[str]) -> str | None:
    """The first column named like a candidate, exactly or by its last group-path segment."""
    names = [str(c) for c in columns]
    for candidate in candidates:
        if candidate in names:
            return candidate
        for name in names:
            if _leaf(name) == candidate:
                return name
    return None


def detect_platform(columns: Iterable[str]) -> str:
    """The data collection platform an export comes from, recognised by its meta columns."""
    names = [str(c) for c in columns]
    present = set(names) | {_leaf(n) for n in names}
    for platform, markers in PLATFORM_MARKERS:
        if markers <= present:
            return platform
    return GENERIC


def meta_columns(platform: str, columns: list[str]) -> dict[str, str]:
    """Canonical meta name -> the source column holding it, for the columns present."""
    if platform not in META_SOURCES:
        raise ValueError(f"unknown platform {platform!r}; known: {sorted(META_SOURCES)}")
    found = {name: _find(sources, columns) for name, sources in META_SOURCES[platform].items()}
    return {name: column for name, column in found.items() if column is not None}


def parse_utc(text: pd.Series) -> pd.Series:
    """Submission-time text as UTC timestamps (offsets converted, naive = UTC), NaT if unparsed."""
    text = text.astype("string").str.strip()
    iso = text.str.match(_ISO_LIKE).fillna(False).astype(bool)
    result = pd.to_datetime(text.where(iso), format="ISO8601", utc=True, errors="coerce")
    for fmt in _TEXT_FORMATS:
        todo = result.isna() & text.notna()
        if not todo.any():
            break
        parsed = pd.to_datetime(text.where(todo), format=fmt, utc=True, errors="coerce")
        result = result.combine_first(parsed)
    return result


def canonical_meta(frame: pd.DataFrame, platform: str) -> CanonicalMeta:
    """The CANONICAL_META columns of `frame` as text, `submitted_at` as UTC ISO-8601."""
    sources = meta_columns(platform, list(frame.columns))
    missing = pd.Series(pd.NA, index=frame.index, dtype="string")
    out = pd.DataFrame(
        {name: frame[sources[name]].astype("string") if name in sources else missing
         for name in CANONICAL_META},
        index=frame.index,
    )
    text = out["submitted_at"]
    stamps = parse_utc(text)
    failed = (stamps.isna() & text.notna()).to_numpy(dtype=bool)
    out["submitted_at"] = stamps.dt.strftime(UTC_ISO_FORMAT).astype("string")
    unparsed = pd.DataFrame({
        "row": frame.index[failed],
        "column": pd.array([sources.get("submitted_at")] * int(failed.sum()), dtype="string"),
        "value": pd.array(text.to_numpy()[failed], dtype="string"),
    })
    return CanonicalMeta(frame=out, unparsed=unparsed)


def unanswered_mask(frame: pd.DataFrame, platform: str) -> pd.DataFrame:
    """Cells that Survey Solutions marks enabled-but-unanswered; all False for other platforms."""
    if platform != SURVEY_SOLUTIONS:
        return pd.DataFrame(False, index=frame.index, columns=frame.columns)
    return frame.isin(SURVEY_SOLUTIONS_UNANSWERED).fillna(False).astype(bool)
