"""Check a generated project: it harmonises and validates with only the planted defects out.

Usage: python -m benchmarks.check --rows N [--out DIR]

Generates (or reuses) the project, runs each round through the pipeline's pure functions
(read with the needed columns, harmonise, validate, score the declared indicators) and fails
unless every quarantined row is a planted defect and every planted defect is quarantined.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from assets.scoring import score_respondents
from assets.validate import failures_by_rule
from benchmarks.generate import ensure
from benchmarks.rounds import round_files, validate_files
from schemas.declarations import load_survey

DATA = Path(__file__).resolve().parent / ".data"
# The failure rules each round's planted defects produce (column, rule), and nothing else.
EXPECTED_RULES = {
    "baseline": {("row", "exact duplicate of an earlier submission"),
                 ("pwi_achieving", "in range [0, 10]"),
                 ("respondent_id", "unique respondent id")},
    "endline": {("row", "exact duplicate of an earlier submission"),
                ("household_income_month", "in range [0, 1e+06]")},
}


def check(generated: dict) -> list[str]:
    """Validate each generated round; return the problems found (none: the data is right)."""
    survey = load_survey(generated["project_file"])
    problems = []
    for name, info in generated["rounds"].items():
        files = round_files(survey, Path(generated["raw_dir"]), name)
        result = validate_files(survey, name, files)
        rules = failures_by_rule(result.failures)
        print(f"{name}: {info['rows']} rows -> {len(result.clean)} clean, "
              f"{len(result.quarantine)} quarantined (planted: {info['quarantined_rows']})")
        print(rules.to_string(index=False))
        scored = score_respondents(result.clean, survey.project, survey.catalogue)
        print(f"  {scored['indicator'].nunique()} indicators scored, {len(scored)} rows\n")
        found = set(zip(rules["column"], rules["rule"], strict=True))
        if found != EXPECTED_RULES[name]:
            problems.append(f"{name}: failure rules {sorted(found)}")
        if len(result.quarantine) != info["quarantined_rows"]:
            problems.append(f"{name}: {len(result.quarantine)} quarantined rows, "
                            f"{info['quarantined_rows']} planted")
        if len(result.clean) + len(result.quarantine) != info["rows"]:
            problems.append(f"{name}: clean + quarantined != raw rows")
    return problems


def main() -> None:
    """Command line: python -m benchmarks.check --rows N [--out DIR]."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    problems = check(ensure(args.rows, args.out or DATA / f"survey-{args.rows}"))
    if problems:
        raise SystemExit("\n".join(problems))
    print("ok: only the planted defects are in quarantine")


if __name__ == "__main__":
    main()
