"""Command line for consultants: `python -m pipelines.cli run [--round NAME]`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
HEADLINE = ["indicator", "comparison", "n_base", "estimate_base", "n_end", "estimate_end", "change",
            "p_adjusted", "flags"]


def ensure_dagster_home() -> Path:
    """Use $DAGSTER_HOME if set, else the project's .dagster/ (absolute, created if missing)."""
    home = Path(os.environ.get("DAGSTER_HOME") or PROJECT_ROOT / ".dagster").resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():  # a fresh embedded instance: SQLite storage, no telemetry
        config.write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def run(rounds: list[str] | None, log_level: str = "WARNING") -> int:
    """Materialise the rounds (partitions), then estimates, comparison and outputs."""
    ensure_dagster_home()
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.runner import materialise_all

    declared = defs.resolve_job_def("round_job").partitions_def.get_partition_keys()
    unknown = sorted(set(rounds or []) - set(declared))
    if unknown:
        print(f"unknown round(s) {unknown}; declared rounds: {declared}", file=sys.stderr)
        return 2
    print(f"Materialising {rounds or declared} then the comparison (Dagster instance in "
          f"{os.environ['DAGSTER_HOME']}; full logs in the UI: make dev)")
    summary = materialise_all(defs, dg.DagsterInstance.get(), rounds, log_level)
    for step, message in summary.failed.items():
        print(f"FAILED {step}: {message}", file=sys.stderr)
    if not summary.success:
        print("outputs/ keeps the previous publication; see the messages above and the "
              "Dagster UI (make dev)", file=sys.stderr)
        return 1
    print_headline()
    return 0


def print_headline() -> None:
    """Print where the outputs are and the headline comparison rows."""
    import pandas as pd

    from pipelines.resources import default_paths

    outputs = default_paths().outputs
    table = pd.read_csv(outputs / "comparison.csv")
    headline = table[(table["group"] == "all") & table["category"].isna()][HEADLINE]
    manifest = json.loads((outputs / "manifest.json").read_text(encoding="utf-8"))
    print(f"\nOutputs in {outputs}/ (run {manifest['run_id']}):")
    for entry in [*manifest["outputs"], {"file": "manifest.json"}]:
        print(f"  {entry['file']}")
    print("\nHeadline (whole population; change = endline - baseline, points or pp):")
    shown = headline.round(2).assign(p_adjusted=headline["p_adjusted"].map(_format_p))
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(shown.to_string(index=False))


def _format_p(p: float) -> str:
    if p != p:  # NaN: suppressed or not tested
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m pipelines.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="materialise every asset on the raw/ data")
    run_parser.add_argument("--round", action="append", dest="rounds",
                            help="only this round (repeatable); publication needs all rounds")
    run_parser.add_argument("--log-level", default="WARNING",
                            choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                            help="Dagster console log level (default WARNING)")
    args = parser.parse_args(argv)
    return run(args.rounds, args.log_level)


if __name__ == "__main__":
    sys.exit(main())
