"""Find a declared source column among a file's columns, tolerating what exports change.

SPSS portable files upper-case every name, and KoboToolbox or ODK prefix group paths only when
"include groups in headers" is on (`intro/age`, `intro-age`). A declared name is matched exactly
first, then ignoring case, then by its last group-path part; a fallback is used only when exactly
one column fits, so two columns are never confused.
"""

from __future__ import annotations

import re

GROUP_SEPARATORS = re.compile(r"[/\-.:]")


def last_part(name: str) -> str:
    """A column name without its group path (`intro/age` -> `age`)."""
    return GROUP_SEPARATORS.split(name)[-1]


def resolve_column(declared: str, columns: list[str]) -> str | None:
    """The file column that holds `declared`, or None when none (or more than one) fits."""
    if declared in columns:
        return declared
    for key in (str.casefold, lambda n: last_part(n).casefold()):
        wanted = key(declared)
        fits = [c for c in columns if key(c) == wanted]
        if len(fits) == 1:
            return fits[0]
        if len(fits) > 1:
            return None
    return None
