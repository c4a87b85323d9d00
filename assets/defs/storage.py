"""Writing working tables and describing them in Dagster metadata (never personal values)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from assets.publish import atomic_write

if TYPE_CHECKING:
    import pandas as pd


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write a working table as Parquet, atomically."""
    atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


def table_metadata(frame: pd.DataFrame, path: Path) -> dict[str, dg.MetadataValue]:
    """Row count, column schema and location of a table."""
    schema = dg.TableSchema(columns=[dg.TableColumn(name=str(c), type=str(t))
                                     for c, t in frame.dtypes.items()])
    return {
        "dagster/row_count": dg.MetadataValue.int(len(frame)),
        "dagster/column_schema": dg.MetadataValue.table_schema(schema),
        "path": dg.MetadataValue.path(str(path)),
    }


def markdown(frame: pd.DataFrame, digits: int = 1) -> dg.MetadataValue:
    """A Markdown preview of an aggregate table (callers never pass personal columns)."""
    import pandas as pd

    if frame.empty:
        return dg.MetadataValue.md("_(none)_")
    shown = frame.copy()
    for column in shown.select_dtypes("number").columns:
        shown[column] = shown[column].round(digits)
    header = "| " + " | ".join(map(str, shown.columns)) + " |"
    rule = "|" + "---|" * len(shown.columns)
    body = ["| " + " | ".join("" if pd.isna(v) else str(v) for v in row) + " |"
            for row in shown.itertuples(index=False)]
    return dg.MetadataValue.md("\n".join([header, rule, *body]))
