"""Indicator estimates: unweighted and, when a sampling design is declared, design-based."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assets.comparison import compare_rounds
from assets.estimates import design_estimate_values, estimate_indicators
from assets.statistics import DESIGN_DIFFERENCE_TEST
from schemas.declarations import Codebook, Project, SamplingDesign
from schemas.indicators import IndicatorCatalogue

DATA = Path(__file__).resolve().parent / "data"


def api(name: str, **roles: str) -> pd.DataFrame:
    """An api sample as a respondent_indicators-like table with design_* columns."""
    frame = pd.read_csv(DATA / name)
    table = pd.DataFrame({"value": frame["api00"].astype(float),
                          "design_weights": frame["pw"]})
    for role, column in roles.items():
        table["design_" + role] = frame[column]
    return table.join(frame[["stype", "sch.wide"]])


def test_a_stratified_design_reproduces_r_survey():
    # R survey tests/api.Rout.save: svymean(~api00, dstrat) 662.29, SE 9.4089, with
    # dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
    people = api("apistrat.csv", strata="stype", fpc="fpc")
    everyone = pd.Series(True, index=people.index)
    design = SamplingDesign(weights="pw", strata="stype", fpc="fpc")
    stats = design_estimate_values(people, people["value"], everyone, "points", design, 0.95)
    assert stats["estimate"] == pytest.approx(662.29, abs=0.005)
    assert stats["se"] == pytest.approx(9.4089, abs=0.00005)
    assert stats["n"] == 200 and stats["weighted"]


def test_a_group_is_a_domain_of_the_whole_design():
    # Lumley, survey package example "domain": svyby(~api00, ~stype+sch.wide, dclus1, svymean),
    # elementary/Yes 653.6439 (SE 20.31720), dclus1 <- svydesign(id=~dnum, weights=~pw,
    # data=apiclus1, fpc=~fpc)
    people = api("apiclus1.csv", clusters="dnum", fpc="fpc")
    domain = (people["stype"] == "E") & (people["sch.wide"] == "Yes")
    design = SamplingDesign(weights="pw", clusters="dnum", fpc="fpc")
    stats = design_estimate_values(people, people["value"], domain, "points", design, 0.95)
    assert stats["estimate"] == pytest.approx(653.6439, abs=0.00005)
    assert stats["se"] == pytest.approx(20.31720, abs=0.000005)
    assert stats["n"] == int(domain.sum())


def weighted_rounds():
    """Two rounds of 0/1 answers with weights and two strata each."""
    rng = np.random.default_rng(7)
    rows = []
    for round_name, share in (("base", 0.4), ("end", 0.6)):
        for k in range(200):
            rows.append(dict(round=round_name, respondent_id=f"{round_name}{k}",
                             indicator="share", category="", value=float(rng.random() < share),
                             status="counted", detail="valid", flag="", band="",
                             district=str(1 + k % 2),
                             design_weights=1.0 + (k % 3), design_strata=str(k % 2)))
    return pd.DataFrame(rows)


def test_weighted_rounds_are_compared_with_the_design_based_t_test():
    project = Project.model_validate({
        "name": "t", "respondent_id": "rid",
        "rounds": [{"name": "base", "label": "B", "files": ["*"]},
                   {"name": "end", "label": "E", "files": ["*"]}],
        "comparisons": [{"name": "base_to_end", "first": "base", "second": "end"}],
        "sampling_design": {"weights": "w", "strata": "s"}})
    catalogue = IndicatorCatalogue.model_validate({"indicators": [{
        "id": "share", "label": "Share", "kind": "prevalence", "variable": "v", "yes": ["1"],
        "groups": ["district"]}]})
    codebook = Codebook.model_validate({
        "value_labels": {"district": {"1": "Dusti", "2": "Kulob"}},
        "variables": [{"name": "district", "label": "District", "type": "category",
                       "labels": "district", "sources": {"base": "d", "end": "d"}}]})
    respondents = weighted_rounds()
    estimates = estimate_indicators(respondents, project, catalogue, codebook)
    assert estimates["weighted"].all()
    overall = estimates[estimates["group"] == "all"].set_index("round")
    base = respondents[respondents["round"] == "base"]
    weighted_share = np.average(base["value"], weights=base["design_weights"]) * 100
    assert overall.loc["base", "estimate"] == pytest.approx(weighted_share)
    assert overall.loc["base", "df"] == 198  # 200 PSUs minus 2 strata
    assert overall.loc["base", "kish_deff"] > 1
    row = compare_rounds(estimates, respondents, project, catalogue, codebook).iloc[0]
    assert row["test"] == DESIGN_DIFFERENCE_TEST and "weighted" in row["flags"]
    se = np.hypot(overall.loc["base", "se"], overall.loc["end", "se"])
    assert row["change"] == pytest.approx(overall.loc["end", "estimate"]
                                          - overall.loc["base", "estimate"])
    assert row["statistic"] == pytest.approx(row["change"] / se)


def test_a_suppressed_cell_shows_n_only():
    project = Project.model_validate({
        "name": "t", "respondent_id": "rid", "rounds": [{"name": "r", "label": "R",
                                                         "files": ["*"]}]})
    catalogue = IndicatorCatalogue.model_validate({"indicators": [{
        "id": "share", "label": "Share", "kind": "prevalence", "variable": "v", "yes": ["1"]}]})
    respondents = pd.DataFrame(dict(round="r", respondent_id=[f"p{i}" for i in range(20)],
                                    indicator="share", category="", value=[1.0, 0.0] * 10,
                                    status="counted", detail="valid", flag="", band=""))
    row = estimate_indicators(respondents, project, catalogue, Codebook.model_validate(
        {"variables": [{"name": "v", "label": "v", "type": "string",
                        "sources": {"r": "v"}}]})).iloc[0]
    assert row["flags"] == "suppressed" and row["n"] == 20
    assert np.isnan(row["estimate"]) and np.isnan(row["ci_low"]) and np.isnan(row["numerator"])
