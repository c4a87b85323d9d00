"""A Parquet cache of parsed raw files, keyed by content: an unchanged file is parsed once.

The key is the file's sha256 with the columns read, the declared encoding and sheet, and the
reader version, so a change to any of them parses the file again. Entries are written atomically
(Parquet first, then its JSON metadata), so a killed run never leaves an entry that loads.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from assets.publish import atomic_write

if TYPE_CHECKING:
    from assets.readers import RawFile

READER_VERSION = "2"  # bump when a reader changes what it produces from the same bytes
META_FIELDS = ("format", "file_label", "variable_labels", "user_missing", "value_labels",
               "variable_types", "columns", "notes", "mr_sets", "warnings", "encoding", "sheet")


def cache_key(sha256: str, usecols: list[str] | None, encoding: str | None,
              sheet: str | None, layout: str | None = None) -> str:
    """The cache entry name of one parse of a file."""
    options = json.dumps([READER_VERSION, sorted(usecols) if usecols is not None else None,
                          encoding, sheet, layout])
    return f"{sha256}-{hashlib.sha256(options.encode()).hexdigest()[:16]}"


def load(cache_dir: Path, key: str, path: Path) -> RawFile | None:
    """The cached parse of `path` under `key`, or None when there is none."""
    from assets.readers import RawFile

    meta_path, table_path = cache_dir / f"{key}.json", cache_dir / f"{key}.parquet"
    if not (meta_path.exists() and table_path.exists()):
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        frame = pd.read_parquet(table_path)
    except (OSError, ValueError):  # a damaged entry is parsed again, never trusted
        return None
    frame = frame.astype("string")
    return RawFile(path=path, sha256=key.split("-")[0], frame=frame, cached=True,
                   **{k: meta[k] for k in META_FIELDS})


def store(cache_dir: Path, key: str, raw: RawFile) -> None:
    """Save one parse (its text table and metadata) under `key`."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(cache_dir / f"{key}.parquet", lambda tmp: raw.frame.to_parquet(tmp, index=False))
    meta = {k: getattr(raw, k) for k in META_FIELDS}
    atomic_write(cache_dir / f"{key}.json",
                 lambda tmp: tmp.write_text(json.dumps(meta, ensure_ascii=False), "utf-8"))
