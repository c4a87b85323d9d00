"""Test frames built by code: raw text tables as the readers return them."""

from __future__ import annotations

import pandas as pd


def text_frame(columns: dict[str, list[str | None]], index: list | None = None) -> pd.DataFrame:
    """A raw export as the readers give it: text cells plus provenance columns."""
    n = len(next(iter(columns.values())))
    frame = pd.DataFrame(
        {name: pd.array(values, dtype="string") for name, values in columns.items()},
        index=index,
    )
    frame.insert(0, "source_row", pd.array(range(1, n + 1), dtype="Int64"))
    frame.insert(0, "source_file", "export.csv")
    return frame
