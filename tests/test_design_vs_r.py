"""Design-based estimates agree with R survey (svyby + svymean / svyciprop) to 1e-6 relative."""

import pytest

from assets.estimates import estimate_indicators
from benchmarks.design_vs_r import (
    TOLERANCE,
    compare,
    declarations,
    ensure_data,
    estimator_cells,
    pipeline_cells,
    r_available,
    read_data,
    respondent_indicators,
    run_r,
)


def test_design_estimates_match_r_survey(tmp_path):
    reason = r_available()
    if reason:
        pytest.skip(f"{reason}: R survey is the reference this test compares against")
    data = ensure_data(2_000, tmp_path)
    wide = read_data(data)
    r_cells, _, _ = run_r(data, tmp_path / "r", repeats=1)
    estimates = estimate_indicators(respondent_indicators(wide), *declarations())
    for cells in (pipeline_cells(estimates), estimator_cells(wide)):
        checked = compare(cells, r_cells)
        assert checked["cells"] == 80
        assert checked["max_relative_difference"] <= TOLERANCE, checked["worst"]
        assert checked["df_differs"] == 0, checked["df_differs_first"]
    # The data exercise the df convention: some PSUs hold domain rows but no value, so R's
    # svyciprop on the full design would use another df there.
    assert (r_cells["df_with_missing"] != r_cells["df"]).any()
    # And a difference above the tolerance is caught.
    nudged = cells.assign(se=cells["se"] * (1 + 10 * TOLERANCE))
    assert compare(nudged, r_cells)["worst"]["column"] == "se"
    assert compare(nudged, r_cells)["max_relative_difference"] > TOLERANCE
