"""Property-based tests (hypothesis) of the pipeline's invariants, on its plain functions.

1. Person scores of a mean_score indicator lie on 0-100 (or are NA), whatever the answers.
2. The categories of a distribution indicator sum to 100% in every round and group.
3. Raw rows = clean rows + quarantined rows, and every quarantined row has a reason.
4. A difference is second minus first, lies in its CI, and swapping the rounds mirrors both.
5. Estimates and validation do not depend on the order of the input rows.

Each property's check is a function of its own, shown to fail on a broken input, and each
strategy is shown (with `hypothesis.find`) to reach the cases that make the property worth
testing: special codes, blanks, duplicates, out-of-range values, bin boundaries.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, assume, event, find, given, settings
from hypothesis import strategies as st

from assets.estimates import estimate_indicators, estimate_values
from assets.harmonize import harmonize_round
from assets.readers import SOURCE_FILE, SOURCE_ROW
from assets.scoring import score_respondents
from assets.statistics import compare_means, compare_proportions
from assets.validate import DUPLICATE_RULE, ValidatedRound, validate_round
from schemas.declarations import Codebook, Project
from schemas.indicators import IndicatorCatalogue

# No "explain" phase: it re-runs a failing case hundreds of times (minutes on pandas frames).
PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]
HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
FAST = settings(max_examples=60, deadline=None, suppress_health_check=HEALTH, phases=PHASES)
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=HEALTH, phases=PHASES)
SLOW = settings(max_examples=12, deadline=None, suppress_health_check=HEALTH, phases=PHASES)

ROUNDS = ("baseline", "endline")
PWI_ITEMS = [f"pwi_{i}" for i in range(7)]
SPECIAL = {"98": "dont_know", "99": "refused"}
INCOME_SPECIAL = {"-8": "dont_know", "-9": "refused"}

PROJECT = Project.model_validate({
    "name": "property survey", "respondent_id": "respondent_id",
    "rounds": [{"name": name, "label": name.title(), "files": ["*.csv"]} for name in ROUNDS],
    "special_codes": {"dk_refused": SPECIAL, "income_codes": INCOME_SPECIAL},
    "suppression": {"suppress_below": 0, "caution_below": 0},  # every cell shows its estimate
})


def source(name: str) -> dict[str, str]:
    return dict.fromkeys(ROUNDS, name)


BASE_VARIABLES = [
    {"name": "respondent_id", "label": "ID", "type": "string", "required": True,
     "sources": source("rid")},
    {"name": "district", "label": "District", "type": "category", "labels": "district",
     "required": True, "sources": source("district")},
    {"name": "age", "label": "Age", "type": "integer", "range": [10, 100],
     "sources": source("age")},
    {"name": "life", "label": "Life (0-10)", "type": "integer", "range": [0, 10],
     "missing_codes": "dk_refused", "sources": source("life")},
    {"name": "income", "label": "Income", "type": "number", "range": [0, 1_000_000],
     "missing_codes": "income_codes", "sources": source("income")},
]


def codebook(items=(), missing_codes: str | None = "dk_refused") -> Codebook:
    """The test codebook, plus scale items `items` (fewer columns harmonise faster)."""
    return Codebook.model_validate({
        "value_labels": {"district": {"1": "Dusti", "2": "Kulob"}},
        "variables": [*BASE_VARIABLES, *({
            "name": item, "label": item, "type": "number", "missing_codes": missing_codes,
            "sources": source(item)} for item in items)]})


CODEBOOK = codebook()
# The shipped household_income_band (schemas/survey/indicators.yaml), on this codebook's income.
INCOME_BAND = IndicatorCatalogue.model_validate({"indicators": [{
    "id": "household_income_band", "kind": "distribution", "label": "Income band",
    "variable": "income", "bins": [0, 500, 1000, 3000, math.inf],
    "bin_labels": ["<=500", "501-1000", "1001-3000", ">3000"], "closed": "right",
    "zero_row": "No income", "direction": "neutral", "groups": ["district"]}]})


def raw_table(records: list[dict], files: list[str] | None = None) -> pd.DataFrame:
    """A raw text table as the readers return it: text cells plus 1-based rows per file."""
    columns = ["rid", "district", "age", "life", "income"]
    columns += sorted({key for record in records for key in record} - set(columns))
    frame = pd.DataFrame([[r.get(c) for c in columns] for r in records], columns=columns,
                         dtype="string")
    files = files or ["round.csv"] * len(frame)
    rows = pd.Series(files).groupby(files).cumcount() + 1
    frame.insert(0, SOURCE_ROW, pd.array(rows, dtype="Int64"))
    frame.insert(0, SOURCE_FILE, pd.array(files, dtype="string"))
    return frame


def harmonised(records, round_name="baseline", book=CODEBOOK) -> pd.DataFrame:
    return harmonize_round(raw_table(records), round_name, PROJECT, book).frame


# ------------------------------------------------------------------------------ strategies

def item_answer(low: int, high: int) -> st.SearchStrategy[str | None]:
    """An item's raw text: a code on the scale, a special code, or blank."""
    return st.one_of(st.integers(low, high).map(str), st.sampled_from([*SPECIAL, None]),
                     st.floats(low, high).map(lambda x: f"{x:.2f}"))


@st.composite
def scales(draw, min_people: int = 1):
    """A mean_score declaration (scale, reversals, conversion, prorating) and its answers."""
    low = draw(st.sampled_from([0, 1]))
    high = draw(st.sampled_from([4, 5, 7, 10]))
    items = PWI_ITEMS[:draw(st.integers(1, len(PWI_ITEMS)))]
    declaration = {
        "id": "scale", "kind": "mean_score", "label": "Scale", "items": items,
        "scale": {"min": low, "max": high},
        "reverse": draw(st.lists(st.sampled_from(items), unique=True)),
        "conversion": draw(st.sampled_from(["pomp", "pct_of_max"])),
        "max_missing": draw(st.integers(0, len(items))), "item_rows": draw(st.booleans()),
        "response_set_flags": True}
    answers = draw(st.lists(st.fixed_dictionaries(
        {item: item_answer(low, high) for item in items}), min_size=min_people, max_size=25))
    people = [{"rid": f"P{i}", "district": "1", **a} for i, a in enumerate(answers)]
    return IndicatorCatalogue.model_validate({"indicators": [declaration]}), people


INCOME = st.one_of(
    st.sampled_from(["0", "500", "500.5", "1000", "3000", "3000.01", *INCOME_SPECIAL, None]),
    st.floats(0, 1_000_000, allow_nan=False).map(lambda x: f"{x:.2f}"),
)


def income_rounds(size: int = 40) -> st.SearchStrategy[list[list[dict]]]:
    """Respondents of both rounds (unique ids), with incomes from the whole range of cases."""
    person = st.tuples(st.sampled_from(["1", "2"]), INCOME)
    one_round = st.lists(person, min_size=1, max_size=size).map(lambda people: [
        {"rid": f"R{i}", "district": district, "income": income}
        for i, (district, income) in enumerate(people)])
    return st.lists(one_round, min_size=len(ROUNDS), max_size=len(ROUNDS))


RAW_ROW = st.fixed_dictionaries({
    "rid": st.sampled_from(["A", "B", "C", "D", "E", None]),  # repeats and a missing id
    "district": st.sampled_from(["1", "2", "3", None]),  # "3" is not a declared code
    "age": st.sampled_from(["30", "45", "5", "150", "x", None]),
    "life": st.sampled_from(["0", "7", "10", "11", "-1", "98", "99", "7.5", None]),
    "income": st.sampled_from(["0", "800", "-5", "-8", "-9", "2000000", None]),
})


@st.composite
def raw_rounds(draw):
    """Raw rows of one round over one or two files, some repeated verbatim (exact copies)."""
    rows = draw(st.lists(RAW_ROW, min_size=1, max_size=20))
    copies = draw(st.lists(st.integers(0, len(rows) - 1), max_size=5))
    rows = rows + [rows[i] for i in copies]
    files = draw(st.lists(st.sampled_from(["a.csv", "b.csv"]), min_size=len(rows),
                          max_size=len(rows)))
    return rows, files


def test_the_strategies_reach_the_cases_that_matter():
    answers = lambda s: [v for p in s[1] for k, v in p.items() if k.startswith("pwi")]  # noqa: E731
    find(scales(), lambda s: any(v in SPECIAL for v in answers(s)))
    find(scales(), lambda s: None in answers(s))
    find(scales(), lambda s: s[0].indicators[0].reverse != [])
    incomes = lambda r: {p["income"] for p in r[0]}  # noqa: E731
    find(income_rounds(), lambda r: {"0", "-8", "-9", None} <= incomes(r))
    find(income_rounds(), lambda r: {"500", "3000"} <= incomes(r))
    find(raw_rounds(), lambda r: len({tuple(p.items()) for p in r[0]}) < len(r[0]))
    find(raw_rounds(), lambda r: len({p["rid"] for p in r[0]}) < len(r[0]))
    find(raw_rounds(), lambda r: any(p["life"] == "11" for p in r[0]))
    find(raw_rounds(), lambda r: len(set(r[1])) == 2)


# --------------------------------------------------------------- 1. scores within 0 to 100

def assert_scores_on_0_100(table: pd.DataFrame) -> None:
    values = table["value"].astype(float)
    assert (values.isna() | ((values >= 0) & (values <= 100))).all(), table[values > 100]
    person = table[table["category"] == ""]
    assert (person["value"].isna() == (person["status"] == "too_many_missing")).all()


@SETTINGS
@given(scales())
def test_mean_scores_lie_between_0_and_100(scale):
    catalogue, people = scale
    items = catalogue.indicators[0].items
    table = score_respondents(harmonised(people, book=codebook(items)), PROJECT, catalogue)
    assert (table["category"] == "").sum() == len(people)
    assert_scores_on_0_100(table)
    answers = {p[item] for p in people for item in items}
    event("special codes among the answers" if answers & set(SPECIAL) else "no special code")
    event("some person unscored" if table["value"].isna().any() else "everyone scored")


def test_the_score_check_fails_when_special_codes_are_averaged_in():
    # Without declared special codes 98 is an answer on the scale, and scores 980.
    catalogue = IndicatorCatalogue.model_validate({"indicators": [{
        "id": "scale", "kind": "mean_score", "label": "Scale", "items": ["pwi_0"],
        "scale": {"min": 0, "max": 10}}]})
    people = [{"rid": "P1", "district": "1", "pwi_0": "98"}]
    table = score_respondents(harmonised(people, book=codebook(["pwi_0"], None)), PROJECT,
                              catalogue)
    with pytest.raises(AssertionError):
        assert_scores_on_0_100(table)


# ------------------------------------------------------ 2. distributions sum to 100 percent

def income_estimates(rounds: list[list[dict]]) -> pd.DataFrame:
    frame = pd.concat([harmonised(people, name) for name, people in zip(ROUNDS, rounds,
                                                                         strict=True)],
                      ignore_index=True)
    table = score_respondents(frame, PROJECT, INCOME_BAND)
    return estimate_indicators(table, PROJECT, INCOME_BAND, CODEBOOK)


def assert_cells_sum_to_100(estimates: pd.DataFrame) -> None:
    for (round_name, group), cell in estimates.groupby(["round", "group"]):
        counted = cell["n"].iloc[0]
        assert (cell["n"] == counted).all()  # every category of a cell has the same denominator
        if counted == 0:
            assert cell["estimate"].isna().all()
            continue
        total = cell["estimate"].sum()
        assert total == pytest.approx(100, abs=1e-9), (round_name, group, cell)
        assert cell["numerator"].sum() == counted


@SETTINGS
@given(income_rounds())
def test_the_rows_of_a_distribution_sum_to_100_percent(rounds):
    estimates = income_estimates(rounds)
    assert set(estimates["category"]) == set(INCOME_BAND.indicators[0].row_labels())
    assert_cells_sum_to_100(estimates)
    incomes = {p["income"] for people in rounds for p in people}
    event(f"don't know / refused / zero: {sorted(incomes & {'0', '-8', '-9'})}")
    if (estimates["n"] == 0).any():
        event("a group with nobody counted")


def test_the_distribution_check_fails_when_a_row_is_left_out():
    people = [{"rid": "R1", "district": "1", "income": "-8"},
              {"rid": "R2", "district": "2", "income": "0"},
              {"rid": "R3", "district": "2", "income": "700"}]
    estimates = income_estimates([people, people])
    assert_cells_sum_to_100(estimates)
    with pytest.raises(AssertionError):
        assert_cells_sum_to_100(estimates[estimates["category"] != "Don't know"])


# ------------------------------------------------ 3. raw rows = clean rows + quarantined rows

def validated(raw: pd.DataFrame) -> ValidatedRound:
    harmonized = harmonize_round(raw, "endline", PROJECT, CODEBOOK)
    return validate_round(harmonized.frame, harmonized.conversion_failures, PROJECT, CODEBOOK)


def row_keys(frame: pd.DataFrame) -> list[tuple[str, int]]:
    return list(zip(frame[SOURCE_FILE].astype(str), frame[SOURCE_ROW].astype(int), strict=True))


def assert_rows_accounted(raw: pd.DataFrame, result: ValidatedRound) -> None:
    clean, quarantined = set(row_keys(result.clean)), set(row_keys(result.quarantine))
    assert len(result.clean) + len(result.quarantine) == len(raw)
    assert not clean & quarantined
    assert clean | quarantined == set(row_keys(raw))
    failed = set(row_keys(result.failures))
    assert quarantined == failed  # a failure always quarantines its row, and only then
    assert all(isinstance(r, str) and r for r in result.quarantine["reasons"])


@SETTINGS
@given(raw_rounds())
def test_every_raw_row_is_either_clean_or_quarantined_with_a_reason(generated):
    raw = raw_table(*generated)
    result = validated(raw)
    assert_rows_accounted(raw, result)
    for rule in set(result.failures["rule"]):
        event(f"rule: {rule}")


def test_the_accounting_check_fails_on_a_row_lost_or_quarantined_without_reason():
    raw = raw_table([{"rid": "A", "district": "1", "life": "11"},
                     {"rid": "B", "district": "2", "life": "5"}])
    result = validated(raw)
    assert_rows_accounted(raw, result)
    lost = ValidatedRound(result.clean.iloc[0:0], result.quarantine, result.failures)
    unexplained = ValidatedRound(result.clean, result.quarantine, result.failures.iloc[0:0])
    for broken in (lost, unexplained):
        with pytest.raises(AssertionError):
            assert_rows_accounted(raw, broken)


# ------------------------------------------------- 4. differences are second minus first

COUNTS = st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))
SAMPLES = st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=30)


def assert_second_minus_first(result, swapped, expected: float) -> None:
    assert result.difference == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert swapped.difference == pytest.approx(-result.difference, rel=1e-12, abs=1e-12)
    if math.isnan(result.ci_low):
        event("no interval (a group of one, or no variance)")
        assert math.isnan(swapped.ci_low) and math.isnan(swapped.ci_high)
        return
    tolerance = 1e-9 * max(1.0, abs(result.ci_low), abs(result.ci_high))
    assert result.ci_low - tolerance <= result.difference <= result.ci_high + tolerance
    assert swapped.ci_low == pytest.approx(-result.ci_high, abs=tolerance)
    assert swapped.ci_high == pytest.approx(-result.ci_low, abs=tolerance)


@FAST
@given(COUNTS, COUNTS)
def test_a_change_in_a_proportion_is_second_minus_first(first, second):
    (x1, n1), (x2, n2) = first, second
    result, swapped = compare_proportions(x1, n1, x2, n2), compare_proportions(x2, n2, x1, n1)
    event(result.test)
    assert_second_minus_first(result, swapped, x2 / n2 - x1 / n1)
    assert -1 <= result.ci_low <= result.ci_high <= 1


@FAST
@given(SAMPLES, SAMPLES)
def test_a_change_in_a_mean_is_second_minus_first(first, second):
    result, swapped = compare_means(first, second), compare_means(second, first)
    assert_second_minus_first(result, swapped, float(np.mean(second) - np.mean(first)))


def test_the_difference_check_fails_for_first_minus_second():
    result, swapped = compare_proportions(10, 100, 30, 100), compare_proportions(30, 100, 10, 100)
    assert_second_minus_first(result, swapped, 0.3 - 0.1)
    with pytest.raises(AssertionError):
        assert_second_minus_first(result, swapped, 0.1 - 0.3)
    with pytest.raises(AssertionError):  # a swap that did not mirror the interval
        assert_second_minus_first(result, result, 0.3 - 0.1)


# ----------------------------------------------------- 5. independent of the row order

def sorted_estimates(table: pd.DataFrame) -> pd.DataFrame:
    return table.sort_values(["indicator", "category", "round", "group"]).reset_index(drop=True)


@SLOW
@given(income_rounds(20), st.randoms(use_true_random=False))
def test_distribution_estimates_do_not_depend_on_the_row_order(rounds, random):
    shuffled = [random.sample(people, len(people)) for people in rounds]
    pd.testing.assert_frame_equal(sorted_estimates(income_estimates(rounds)),
                                  sorted_estimates(income_estimates(shuffled)),
                                  check_exact=False, rtol=1e-12)


ONE_SCORE_BUG = "sd must be >= 0, got nan"  # see test_a_cell_of_one_score_is_estimated


@SLOW
@given(scales(min_people=4), st.randoms(use_true_random=False))
def test_scale_estimates_do_not_depend_on_the_row_order(scale, random):
    catalogue, people = scale
    book = codebook(catalogue.indicators[0].items)

    def estimates(rows):
        table = score_respondents(harmonised(rows, book=book), PROJECT, catalogue)
        try:
            return sorted_estimates(estimate_indicators(table, PROJECT, catalogue, book))
        except ValueError as error:  # a cell of exactly one score: a known bug, tested below
            assume(ONE_SCORE_BUG not in str(error))
            raise

    pd.testing.assert_frame_equal(estimates(people), estimates(random.sample(people, len(people))),
                                  check_exact=False, rtol=1e-9, atol=1e-9)


def test_a_cell_of_one_score_is_estimated():
    # Found by test_scale_estimates_do_not_depend_on_the_row_order: a round, group or item row
    # with exactly one scored person stops estimate_indicators (percentages are not affected).
    stats = estimate_values(pd.Series([40.0]), "points", 0.95)
    assert stats["n"] == 1 and stats["estimate"] == 40
    assert math.isnan(stats["ci_low"]) and math.isnan(stats["ci_high"])


def failure_set(result: ValidatedRound) -> set[tuple]:
    table = result.failures.astype(object).where(result.failures.notna(), None)
    return set(zip(table[SOURCE_FILE], table[SOURCE_ROW].astype(int), table["respondent_id"],
                   table["column"], table["rule"], table["value"], strict=True))


def content_counts(frame: pd.DataFrame) -> Counter:
    """How often each row content (provenance aside) occurs; missing cells compare equal."""
    content = frame.drop(columns=[SOURCE_FILE, SOURCE_ROW, "reasons"], errors="ignore")
    return Counter(tuple(None if pd.isna(v) else v for v in row)
                   for row in content.itertuples(index=False))


@SETTINGS
@given(raw_rounds(), st.randoms(use_true_random=False))
def test_validation_does_not_depend_on_the_row_order(generated, random):
    raw = raw_table(*generated)
    original = validated(raw)
    reordered = validated(raw.sample(frac=1, random_state=random.randrange(2**32)))
    originals = failure_set(original)
    # The copy of an exact duplicate that is kept is the first in file order, so even the
    # source rows kept and quarantined do not depend on the frame's order.
    assert len(original.clean) == len(reordered.clean)
    assert content_counts(original.clean) == content_counts(reordered.clean)
    assert set(row_keys(original.clean)) == set(row_keys(reordered.clean))
    assert set(row_keys(original.quarantine)) == set(row_keys(reordered.quarantine))
    assert originals == failure_set(reordered)
    if (original.failures["rule"] == DUPLICATE_RULE).any():
        event("exact duplicates")


def test_the_copy_kept_of_an_exact_duplicate_does_not_depend_on_the_row_order():
    row = {"rid": "A", "district": "1", "age": "30", "life": "5", "income": "800"}
    raw = raw_table([row, row])
    assert row_keys(validated(raw).clean) == row_keys(validated(raw.iloc[::-1]).clean)
