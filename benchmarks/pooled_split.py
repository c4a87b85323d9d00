"""Time to split a pooled (long) file into its rounds, as a ratio to reading it.

    python -m benchmarks.pooled_split [--rows 1000000] [--repeats 3]

Writes a pooled CSV of ROWS rows (two rounds told apart by `wave`, about 20 columns of codes,
scores and text), reads it as the ingest does (`read_raw_file`, no cache), then times the split:
`round_rows` for each round and the row selection. Prints and saves the medians and the ratio
to `benchmarks/results/pooled_split.json`. A ratio, measured in one run, never an assertion.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from assets.readers import read_raw_file
from assets.round_layout import round_rows
from schemas.declarations import Codebook, Project

RESULTS = Path(__file__).resolve().parent / "results"
ITEMS = [f"pwi_{i}" for i in range(1, 8)] + [f"se_{i}" for i in range(1, 11)]


def write_pooled(path: Path, rows: int) -> None:
    """A pooled CSV: id, wave, district, sex, age, 17 items and a free-text answer."""
    rng = np.random.default_rng(2026)
    frame = pd.DataFrame({
        "id": np.char.add("R", np.arange(rows).astype(str)),
        "wave": rng.choice(["baseline", "endline"], rows),
        "district": rng.integers(1, 3, rows), "sex": rng.integers(1, 3, rows),
        "age": rng.integers(15, 80, rows),
        **{item: rng.integers(0, 11, rows) for item in ITEMS},
        "comment": rng.choice(["", "more support please", "нет", "ok"], rows),
    })
    frame.to_csv(path, index=False)


def declarations() -> tuple[Project, Codebook]:
    """Two long rounds over the pooled file, and a codebook of its columns."""
    names = ["id", "district", "sex", "age", *ITEMS]
    codebook = Codebook.model_validate({"variables": [
        {"name": n if n != "id" else "respondent_id", "label": n, "type": "string",
         "sources": {"baseline": n, "endline": n}} for n in names]})
    project = Project.model_validate({"name": "bench", "respondent_id": "respondent_id",
                                      "rounds": [{"name": r, "label": r, "files": ["p.csv"],
                                                  "layout": "long", "round_column": "wave",
                                                  "round_value": r}
                                                 for r in ("baseline", "endline")]})
    return project, codebook


def measure(rows: int, repeats: int) -> dict:
    """Median seconds to read the pooled file and to split it, and their ratio."""
    project, codebook = declarations()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pooled.csv"
        write_pooled(path, rows)
        reads, splits = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            raw = read_raw_file(path)
            reads.append(time.perf_counter() - start)
            start = time.perf_counter()
            sizes = []
            for round_decl in project.rounds:
                mask, _ = round_rows(raw.frame, round_decl, project.rounds, codebook,
                                     raw.value_labels, path.name)
                sizes.append(len(raw.frame[mask.to_numpy()]))
            splits.append(time.perf_counter() - start)
            assert sum(sizes) == rows  # every row in exactly one round
    read, split = statistics.median(reads), statistics.median(splits)
    return {"rows": rows, "repeats": repeats, "read_seconds": round(read, 3),
            "split_seconds": round(split, 3), "split_to_read_ratio": round(split / read, 4)}


def main() -> None:
    """Measure, print and save the split ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    result = measure(args.rows, args.repeats)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "pooled_split.json").write_text(json.dumps(result, indent=2) + "\n",
                                               encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
