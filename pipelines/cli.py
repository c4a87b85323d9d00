"""Command line for consultants: `python -m pipelines <command>` (see --help).

  run [--round NAME ...] [--stale]   materialise rounds, then estimates, comparison, outputs
  validate [--round NAME ...]        ingest, harmonise and validate only; print what failed
  inspect FILE [--json]              what a raw file holds (format, platform, variables)
  codebook draft DIR [DIR ...]       draft a codebook from raw/<round>/ folders
  codebook draft FILE                 ... or from one pooled (long) or wide panel file
  codebook to-xlsx [CODEBOOK] OUT    the codebook as a workbook, for consultants who use Excel
  codebook from-xlsx XLSX --out YAML the workbook back as codebook YAML (checked)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
HEADLINE = ["indicator", "comparison", "n_base", "estimate_base", "n_end", "estimate_end",
            "change", "p_adjusted", "flags"]


def ensure_dagster_home() -> Path:
    """Use $DAGSTER_HOME if set, else the project's .dagster/ (absolute, created if missing)."""
    home = Path(os.environ.get("DAGSTER_HOME") or PROJECT_ROOT / ".dagster").resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():  # a fresh embedded instance: SQLite storage, no telemetry
        config.write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def _declared_rounds(rounds: list[str] | None) -> list[str] | None:
    from assets.defs.partitions import round_partitions

    declared = round_partitions.get_partition_keys()
    unknown = sorted(set(rounds or []) - set(declared))
    if unknown:
        print(f"unknown round(s) {unknown}; declared rounds: {declared}", file=sys.stderr)
        return None
    return rounds or declared


def stale_rounds(rounds: list[str]) -> list[str]:
    """Rounds whose raw files changed (by sha256) since their last completed run.

    A run stopped after ingest leaves no completion stamp, so its round counts as stale.
    """
    from assets.fingerprint import sha256_of
    from pipelines.resources import default_paths

    paths, stale = default_paths(), []
    survey = paths.survey()
    for round_decl in survey.project.rounds:
        if round_decl.name not in rounds:
            continue
        current = {p.name: sha256_of(p) for p in paths.round_files(round_decl)}
        if current != paths.completed_files(round_decl.name):
            stale.append(round_decl.name)
    return stale


def run(rounds: list[str] | None, stale: bool = False, log_level: str = "WARNING") -> int:
    """Materialise the rounds (partitions), then estimates, comparison and outputs."""
    ensure_dagster_home()
    from pipelines.resources import default_paths

    selected = _declared_rounds(rounds)
    if selected is None:
        return 2
    if stale:  # before the code location is loaded: a no-op run costs little more than a start
        selected = stale_rounds(selected)
        published = (Path(default_paths().outputs_dir) / "manifest.json").exists()
        if not selected and published:
            print("nothing is stale: raw files unchanged since the last run")
            return 0
    from pipelines.definitions import defs
    from pipelines.lock import ProjectBusyError, project_lock
    from pipelines.runner import InstanceUnavailableError, materialise_all, open_instance

    print(f"Materialising {selected} then the comparison (Dagster instance in "
          f"{os.environ['DAGSTER_HOME']}; full logs in the UI: make dev)")
    manifest = default_paths().outputs / "manifest.json"
    published = _published_run(manifest)
    try:
        with project_lock(Path(default_paths().work_dir)):
            summary = materialise_all(defs, open_instance(), selected, log_level)
    except ProjectBusyError as busy:
        print(busy, file=sys.stderr)
        return 3
    except InstanceUnavailableError as unavailable:
        now = _published_run(manifest)
        # The swap into outputs/ needs no database: an outage after it leaves a new, complete set.
        outputs = ("outputs/ keeps the previous publication" if now == published else
                   f"outputs/ holds the complete new publication of run {now}, which the "
                   "instance could not record")
        print(f"{unavailable}; {outputs}; re-run when it is back", file=sys.stderr)
        return 1
    for step, message in summary.failed.items():
        print(f"FAILED {step}: {message}", file=sys.stderr)
    if not summary.success:
        print("outputs/ keeps the previous publication; see the messages above and the "
              "Dagster UI (make dev)", file=sys.stderr)
        return 1
    print_headline()
    return 0


def validate(rounds: list[str] | None, log_level: str = "WARNING") -> int:
    """Ingest, harmonise and validate rounds; print raw/clean/quarantined and failing rules."""
    ensure_dagster_home()
    from pipelines.resources import default_paths

    selected = _declared_rounds(rounds)
    if selected is None:
        return 2
    from pipelines.lock import ProjectBusyError, project_lock
    from pipelines.runner import InstanceUnavailableError

    try:
        with project_lock(Path(default_paths().work_dir)):
            return _validate_rounds(selected, log_level)
    except ProjectBusyError as busy:
        print(busy, file=sys.stderr)
        return 3
    except InstanceUnavailableError as unavailable:
        print(f"{unavailable}; re-run when it is back", file=sys.stderr)
        return 1


def _published_run(manifest: Path) -> str | None:
    """The run id of the publication in outputs/, None when there is none (or it is unreadable)."""
    try:
        return json.loads(manifest.read_text(encoding="utf-8")).get("run_id")
    except (OSError, ValueError):
        return None


def _validate_rounds(selected: list[str], log_level: str) -> int:
    import pandas as pd

    from assets.validate import failures_by_rule, row_accounting
    from pipelines.definitions import defs
    from pipelines.resources import default_paths
    from pipelines.runner import instance_errors, open_instance

    job, paths, status = defs.resolve_job_def("validation_job"), default_paths(), 0
    instance = open_instance()
    for round_name in selected:
        with instance_errors(instance):
            result = job.execute_in_process(
                partition_key=round_name, instance=instance, raise_on_error=False,
                run_config={"loggers": {"console": {"config": {"log_level": log_level}}}})
        if not result.success:
            errors = [e.step_failure_data.error.message for e in result.all_events
                      if e.is_step_failure and e.step_failure_data.error]
            print(f"== {round_name}: FAILED\n" + "\n".join(errors), file=sys.stderr)
            status = 1
            continue
        clean = paths.read_table("validated_responses", round_name)
        quarantine = paths.read_table("quarantine", round_name)
        accounting = row_accounting(paths.read_json("raw_responses", round_name), clean,
                                    quarantine)
        print(f"== {round_name}")
        with pd.option_context("display.width", 200, "display.max_colwidth", 60):
            print(accounting.to_string(index=False))
            by_rule = failures_by_rule(paths.read_table("validation_failures", round_name))
            print(by_rule.to_string(index=False) if len(by_rule) else "no failures")
    return status


def inspect(file: Path, as_json: bool, encoding: str | None = None,
            sheet: str | None = None) -> int:
    """Print what a raw file holds."""
    from assets.inspection import format_inspection, inspect_file
    from assets.readers import RawFileError

    try:
        report = inspect_file(file, encoding=encoding, sheet=sheet)
    except (RawFileError, FileNotFoundError) as error:
        print(error, file=sys.stderr)
        return 1
    print(json.dumps(report, indent=2, ensure_ascii=False) if as_json
          else format_inspection(report))
    return 0


def draft(folders: list[Path], out: Path | None) -> int:
    """Write a draft codebook for the rounds in the given folders (round name = folder name).

    Given one file instead, propose its rounds: a pooled file's round column, or a wide file's
    per-round column names (`_bl`/`_el`, `_6m`/`_1y`, `w1_`/`w2_`, trailing 1/2).
    """
    from assets.codebook_draft import draft_codebook
    from assets.readers import RawFileError, read_raw_file

    if len(folders) == 1 and folders[0].is_file():  # one file holding several rounds
        from assets.codebook_draft import draft_single_file

        try:
            text = draft_single_file(read_raw_file(folders[0]))
        except (RawFileError, ValueError) as error:
            print(error, file=sys.stderr)
            return 1
        return _write_draft(text, out)
    rounds = {}
    for folder in folders:
        files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
        if not files:
            print(f"{folder}: no files", file=sys.stderr)
            return 1
        try:
            rounds[folder.name] = [read_raw_file(p) for p in files]
        except RawFileError as error:
            print(error, file=sys.stderr)
            return 1
    return _write_draft(draft_codebook(rounds), out)


def _write_draft(text: str, out: Path | None) -> int:
    if out is None:
        print(text, end="")
    else:
        out.write_text(text, encoding="utf-8")
        print(f"draft codebook written to {out}: review it, then point project.yaml at it")
    return 0


def codebook_to_workbook(codebook: Path | None, out: Path) -> int:
    """Write the codebook (the project's by default) as an XLSX workbook."""
    from assets.codebook_xlsx import codebook_to_xlsx
    from schemas.declarations import load_project
    from schemas.yaml_source import DeclarationError

    try:
        if codebook is None:
            from pipelines.resources import default_paths

            project_file = Path(default_paths().project_file)
            codebook = project_file.parent / load_project(project_file)[0].codebook
        codebook_to_xlsx(codebook, out)
    except DeclarationError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"codebook {codebook} written to {out}")
    return 0


def codebook_from_workbook(xlsx: Path, out: Path) -> int:
    """Turn an edited codebook workbook back into YAML, refusing an invalid one."""
    from assets.codebook_xlsx import codebook_from_xlsx
    from schemas.yaml_source import DeclarationError

    try:
        text = codebook_from_xlsx(xlsx)
    except DeclarationError as error:
        print(error, file=sys.stderr)
        return 1
    out.write_text(text, encoding="utf-8")
    print(f"codebook written to {out}: point project.yaml's `codebook:` at it")
    return 0


def print_headline() -> None:
    """Print where the outputs are and the headline comparison rows."""
    import pandas as pd

    from assets.comparison import headline_rows
    from pipelines.resources import default_paths

    outputs = default_paths().outputs
    table = pd.read_csv(outputs / "comparison.csv")
    headline = headline_rows(table)[HEADLINE]
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
    parser = argparse.ArgumentParser(prog="python -m pipelines", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("run", "validate"):
        sub = commands.add_parser(name, help=f"{name} rounds (all declared rounds by default)")
        sub.add_argument("--round", action="append", dest="rounds", help="this round only "
                         "(repeatable)")
        sub.add_argument("--log-level", default="WARNING",
                         choices=["DEBUG", "INFO", "WARNING", "ERROR"])
        if name == "run":
            sub.add_argument("--stale", action="store_true",
                             help="only rounds whose raw files changed since the last run")
    sub = commands.add_parser("inspect", help="what a raw file holds")
    sub.add_argument("file", type=Path)
    sub.add_argument("--json", action="store_true", help="machine-readable output")
    sub.add_argument("--encoding", help="text encoding of a CSV (sniffed by default)")
    sub.add_argument("--sheet", help="XLSX sheet (the first by default)")
    codebook = commands.add_parser("codebook", help="codebook tools")
    codebook_commands = codebook.add_subparsers(dest="codebook_command", required=True)
    sub = codebook_commands.add_parser("draft", help="draft a codebook from raw/<round>/ "
                                       "folders, or from one file holding several rounds")
    sub.add_argument("folders", type=Path, nargs="+")
    sub.add_argument("--out", type=Path, help="write here instead of printing")
    sub = codebook_commands.add_parser("to-xlsx", help="the codebook as an XLSX workbook")
    sub.add_argument("files", type=Path, nargs="+", metavar="[CODEBOOK] OUT")
    sub = codebook_commands.add_parser("from-xlsx", help="a codebook workbook back to YAML")
    sub.add_argument("xlsx", type=Path)
    sub.add_argument("--out", type=Path, required=True, help="the YAML file to write")
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(args.rounds, args.stale, args.log_level)
    if args.command == "validate":
        return validate(args.rounds, args.log_level)
    if args.command == "inspect":
        return inspect(args.file, args.json, args.encoding, args.sheet)
    if args.codebook_command == "to-xlsx":
        if len(args.files) > 2:
            parser.error("codebook to-xlsx takes [CODEBOOK] OUT")
        return codebook_to_workbook(*([None, *args.files] if len(args.files) == 1
                                      else args.files))
    if args.codebook_command == "from-xlsx":
        return codebook_from_workbook(args.xlsx, args.out)
    return draft(args.folders, args.out)


if __name__ == "__main__":
    sys.exit(main())
