"""The HTML report: content, escaping and self-containment; a browser check (slow)."""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from assets.charts import distribution_shares, is_distribution
from assets.report import headline_rows, render_report

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = ("baseline", "endline")
NASTY = "Women <script>alert('x')</script> & \"friends\""
INCOME = ["No income", "<=500", "501-1000", ">1000", "Don't know", "Refused"]
SHARES = {"baseline": [5.0, 42.5, 26.0, 5.0, 15.0, 6.5],
          "endline": [2.0, 18.0, 25.0, 44.0, 8.0, 3.0]}
FAMILIES = {"pwi_women": "Wellbeing", "happy_adolescents": "Wellbeing",
            "income_band": "Economic situation", "rights_women": "Rights",
            "services_users": "Services"}
LABELS = {"pwi_women": "Personal Wellbeing Index, women", "happy_adolescents": NASTY,
          "rights_women": "Women aware of their rights", "income_band": "Household income band",
          "services_users": "Satisfactory access to services"}
UNITS = {"pwi_women": "points", "happy_adolescents": "%", "rights_women": "%",
         "income_band": "%", "services_users": "%"}
P_ADJUSTED = {"pwi_women": 0.00001}
# indicator -> group -> (n, flags); estimates around 50, a change of +10
GROUPS = {
    "pwi_women": {"all": (380, ""), "district=Dusti": (200, ""),
                  "age_group=10-19": (6, "suppressed")},
    "happy_adolescents": {"all": (210, "plausibility_warning"), "sex=Male": (40, "caution")},
    "rights_women": {"all": (382, ""), "district=Kulob": (180, "")},
    "services_users": {"all": (12, "suppressed"), "district=Dusti": (8, "suppressed")},
}


def _estimate_rows() -> list[dict]:
    rows = []
    for indicator, groups in GROUPS.items():
        for r, round_name in enumerate(ROUNDS):
            for g, (group, (n, flags)) in enumerate(groups.items()):
                estimate = 50.0 + 10 * r + g
                kept = ";".join(f for f in flags.split(";") if f in ("suppressed", "caution"))
                rows.append(dict(indicator=indicator, category=None, round=round_name,
                                 group=group, unit=UNITS[indicator], n=n, estimate=estimate,
                                 ci_low=estimate - 3, ci_high=estimate + 3,
                                 median_category=None, flags=kept))
    for round_name in ROUNDS:
        for category, share in zip(INCOME, SHARES[round_name], strict=True):
            rows.append(dict(indicator="income_band", category=category, round=round_name,
                             group="all", unit="%", n=300, estimate=share, ci_low=share - 1,
                             ci_high=share + 1, median_category="<=500", flags=""))
        rows.append(dict(indicator="income_band", category="<=500", round=round_name,
                         group="district=Tiny", unit="%", n=9, estimate=80.0, ci_low=50.0,
                         ci_high=95.0, median_category="<=500", flags="suppressed"))
    return rows


def _comparison_rows() -> list[dict]:
    rows = []
    for comparison, design in (("baseline_to_endline", "independent"),
                               ("baseline_to_endline_panel", "panel")):
        for indicator, groups in GROUPS.items():
            for group, (n, flags) in groups.items():
                withheld = "suppressed" in flags
                p_adjusted = math.nan if withheld else P_ADJUSTED.get(indicator, 0.0123)
                value = math.nan if withheld else 50.0
                rows.append(dict(
                    indicator=indicator, label=LABELS[indicator], group=group,
                    comparison=comparison, unit=UNITS[indicator], direction="higher_is_better",
                    n_base=n, estimate_base=value, ci_low_base=value - 3, ci_high_base=value + 3,
                    n_end=n, estimate_end=value + 10, ci_low_end=value + 7,
                    ci_high_end=value + 13, change=value - 40, change_ci_low=value - 44,
                    change_ci_high=value - 36, relative_change=20.0, test="Welch t",
                    statistic=3.0, p_value=0.001, p_adjusted=p_adjusted,
                    flags=";".join(f for f in (design, *flags.split(";")) if f),
                    category=None, design=design,
                    assessment="not assessed" if withheld else "improved", target=math.nan,
                    target_met=None, effect_size=0.4, effect_size_kind="Cohen's d",
                    base_round="baseline", end_round="endline"))
        for category in INCOME:
            rows.append({**rows[-1], "indicator": "income_band", "label": LABELS["income_band"],
                         "group": "all", "category": category, "flags": design,
                         "n_base": 300, "n_end": 300, "assessment": "no significant change"})
    return rows


def _inputs() -> dict:
    return dict(
        comparison=pd.DataFrame(_comparison_rows()), estimates=pd.DataFrame(_estimate_rows()),
        families=FAMILIES, notes=[("Change", "Endline minus baseline <in points>."),
                                  ("Small cells", "Suppressed below 25 & caution below 50.")],
        validation=pd.DataFrame({"round": list(ROUNDS), "file": ["b.sav", "e.csv"],
                                 "raw": [600, 456], "clean": [596, 450], "quarantined": [4, 6],
                                 "balanced": [True, True]}),
        provenance={"run_id": "run-123", "created_at": "2026-01-02T03:04:05+00:00",
                    "code_version": "abc123",
                    "inputs": [{"round": "baseline", "file": "b.sav", "sha256": "f" * 64,
                                "rows": 600},
                               {"round": "endline", "file": "e.csv", "sha256": "e" * 64,
                                "rows": 456}],
                    "declarations": {"project.yaml": "a" * 64}},
        title="Survey <report> & co")


@pytest.fixture(scope="module")
def report() -> str:
    return render_report(**_inputs())


def _headline_row(html: str, indicator: str) -> str:
    match = re.search(rf'<tr data-row="{indicator}">(.*?)</tr>', html, re.DOTALL)
    assert match, indicator
    return match.group(1)


def _blocks(html: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for indicator, body in re.findall(r'<article [^>]*data-indicator="([^"]+)">(.*?)</article>',
                                      html, re.DOTALL):
        found.setdefault(indicator, []).append(body)
    return found


def test_headline_table_has_one_row_per_headline_indicator(report):
    expected = set(headline_rows(pd.DataFrame(_comparison_rows()))["indicator"])
    assert expected == {"pwi_women", "happy_adolescents", "rights_women", "services_users"}
    assert set(re.findall(r'<tr data-row="([^"]+)">', report)) == expected
    row = _headline_row(report, "rights_women")
    assert "Women aware of their rights" in row and "50.0%" in row and "+10.0 pp" in row
    assert "0.012" in row and "improved" in row
    assert "&lt;0.001" in _headline_row(report, "pwi_women")
    assert "+10.0" in _headline_row(report, "pwi_women")  # points: no "pp", no "%"
    assert "+10.0 pp" not in _headline_row(report, "pwi_women")


def test_one_chart_per_indicator_as_inline_accessible_svg(report):
    blocks = _blocks(report)
    assert set(blocks) == set(FAMILIES)
    for indicator, bodies in blocks.items():
        assert len(bodies) == 1, indicator
        body = bodies[0]
        assert body.count("<svg") == 1 and "<figure" in body and "<figcaption>" in body
        assert re.search(r'<svg role="img" aria-labelledby="[^"]+"[^>]*><title id=', body)
    positions = [report.index(f'data-indicator="{i}"') for i in FAMILIES]
    assert positions == sorted(positions)


def test_sections_in_order_and_self_contained(report):
    order = ["Headline results", "Wellbeing", "Economic situation", "Rights", "Services",
             "Notes on methods", "Data quality", "Provenance"]
    positions = [report.index(f">{name}</h2>") for name in order]
    assert positions == sorted(positions)
    assert '<meta name="viewport"' in report and "@media print" in report
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", report, re.I)
    assert "<script" not in report.lower().replace("&lt;script", "")
    assert "@import" not in report and "<link" not in report and "@font-face" not in report
    assert not re.search(r"""url\(\s*['"]?(?!#)""", report)  # only local url(#clip-path)
    assert "run-123" in report and "f" * 64 in report and "2026-01-02T03:04:05" in report


def test_suppressed_shows_star_and_caution_parentheses(report):
    row = _headline_row(report, "services_users")
    cells = re.findall(r'<td class="num">(.*?)</td>', row, re.DOTALL)
    assert cells[0] == "12" and cells[2] == "12"
    assert all(re.fullmatch(r'<span title="[^"]*">\*</span>', c) for c in (cells[1], cells[3],
                                                                          cells[4]))
    assert "50.0" not in row
    assert "⚠ plausibility warning" in _blocks(report)["happy_adolescents"][0]
    assert "⚠ plausibility warning" in _headline_row(report, "happy_adolescents")


def test_caution_estimate_is_in_parentheses():
    inputs = _inputs()
    comparison = inputs["comparison"]
    comparison.loc[comparison["indicator"] == "rights_women", "flags"] = "independent;caution"
    row = _headline_row(render_report(**inputs), "rights_women")
    assert "(50.0%)" in row and "(60.0%)" in row and "(+10.0 pp)" in row


def test_text_is_escaped(report):
    assert "<script>alert" not in report
    assert "Women &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;friends" in report
    assert "<title>Survey &lt;report&gt; &amp; co</title>" in report
    assert "Endline minus baseline &lt;in points&gt;." in report
    assert "Suppressed below 25 &amp; caution below 50." in report


def test_distribution_shares_sum_to_100_per_round_in_declared_order():
    estimates = pd.DataFrame(_estimate_rows())
    assert is_distribution(estimates, "income_band")
    assert not is_distribution(estimates, "pwi_women")
    shares = distribution_shares(estimates, "income_band")
    assert list(shares.columns) == INCOME
    assert list(shares.index) == [("all", "baseline"), ("all", "endline")]  # suppressed left out
    assert shares.sum(axis=1).round(6).tolist() == [100.0, 100.0]
    assert shares.loc[("all", "endline"), ">1000"] == 44.0


def test_distribution_detected_without_median_category_when_shares_make_100():
    estimates = pd.DataFrame(_estimate_rows()).assign(median_category=None)
    assert is_distribution(estimates, "income_band")


def test_svg_coordinates_do_not_look_like_gps_points(report):
    """The publish step scans every output for "lat lon" pairs with 4+ decimals."""
    assert not re.search(r"(?<![\w.])-?\d{1,2}\.\d{4,8} -?\d{1,3}\.\d{4,8}(?![\w.])", report)
    privacy = pytest.importorskip("assets.privacy")
    for pattern in getattr(privacy, "LOOKS_PERSONAL", {}).values():
        assert not pattern.search(report)


def test_importing_the_report_does_not_import_matplotlib():
    code = "import sys, assets.report; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------ browser (slow)


@pytest.fixture(scope="module")
def report_file(tmp_path_factory, report) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(report, encoding="utf-8")
    return path


def _open(chromium: dict, report_file: Path, viewport: dict, check):
    """Open the report in chromium, run check(page) and return console / page errors."""
    sync_api = pytest.importorskip("playwright.sync_api")
    errors: list[str] = []
    remote: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(**chromium)
        try:
            page = browser.new_page(viewport=viewport)
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: None if r.url.startswith(("file:", "data:", "about:"))
                    else remote.append(r.url))
            page.goto(report_file.as_uri(), wait_until="load")
            check(page)
        finally:
            browser.close()
    assert errors == []
    assert remote == []


@pytest.mark.slow
def test_report_renders_in_chromium(chromium, report_file, tmp_path):
    screenshot = tmp_path / "report.png"

    def check(page):
        rows = page.locator("table.headline tbody tr")
        assert rows.count() == 4
        for i in range(rows.count()):
            assert rows.nth(i).is_visible()
        for indicator in FAMILIES:
            svg = page.locator(f'[data-indicator="{indicator}"] svg')
            assert svg.count() == 1, indicator
            box = svg.bounding_box()
            assert box and box["width"] > 0 and box["height"] > 0, indicator
        page.screenshot(path=str(screenshot), full_page=True)

    _open(chromium, report_file, {"width": 1280, "height": 900}, check)
    assert screenshot.stat().st_size > 0
    if os.environ.get("REPORT_SCREENSHOT"):
        shutil.copyfile(screenshot, os.environ["REPORT_SCREENSHOT"])


@pytest.mark.slow
def test_report_fits_a_phone_screen(chromium, report_file):
    def check(page):
        width = page.evaluate("document.body.scrollWidth")
        inner = page.evaluate("window.innerWidth")
        assert width <= inner + 1, (width, inner)
        assert page.evaluate("document.documentElement.scrollWidth") <= inner + 1
        scroller = page.locator(".table-scroll:has(table.headline)")
        assert scroller.evaluate("e => getComputedStyle(e).overflowX") == "auto"
        for indicator in FAMILIES:
            box = page.locator(f'[data-indicator="{indicator}"] svg').bounding_box()
            assert box and 0 < box["width"] <= inner, indicator

    _open(chromium, report_file, {"width": 390, "height": 844}, check)


@pytest.mark.slow
def test_report_prints_within_an_a4_page(chromium, report_file):
    def check(page):
        page.emulate_media(media="print")
        inner = page.evaluate("window.innerWidth")
        assert page.evaluate("document.documentElement.scrollWidth") <= inner + 1
        widths = page.evaluate("[...document.querySelectorAll('table')].map(t => t.scrollWidth)")
        assert widths and max(widths) <= inner + 1, widths

    _open(chromium, report_file, {"width": 718, "height": 1000}, check)  # A4 minus margins
