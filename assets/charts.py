"""Charts for the HTML report: matplotlib figures rendered to inline, accessible SVG text.

matplotlib is imported inside the functions (importing this module stays cheap) and figures are
built with `matplotlib.figure.Figure`, never pyplot, so no interactive backend is involved.
"""

from __future__ import annotations

import html
import io
import re

import numpy as np
import pandas as pd

ROUND_STYLES = [("#4c72b0", "o"), ("#c44e52", "D"), ("#55a868", "s"), ("#8172b3", "^")]
NON_SUBSTANTIVE = re.compile(r"don.?t know|refus|no answer|missing", re.IGNORECASE)
BOUNDED_UNITS = {"points", "%"}
# matplotlib writes coordinates with up to 6 decimals; a pair such as "48.123456 285.654321"
# looks like a GPS point to the personal-data scan of published files, so they are rounded.
LONG_DECIMAL = re.compile(r"(?<![\w.])(-?\d+\.\d{3,})(?![\d.])")


def flag_set(value: object) -> set[str]:
    """The ";"-joined flags of one row as a set (empty for a blank or missing value)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return set()
    return {part.strip() for part in str(value).split(";") if part.strip()}


def is_blank(series: pd.Series) -> pd.Series:
    """True where a category (or any text) is missing or empty: a headline row."""
    return series.isna() | (series.astype(object).fillna("").astype(str).str.strip() == "")


def headline_estimates(estimates: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """One indicator's headline rows (blank category), else the rows of its first category."""
    rows = estimates[estimates["indicator"] == indicator]
    head = rows[is_blank(rows["category"])]
    if head.empty and not rows.empty:
        head = rows[rows["category"] == rows["category"].iloc[0]]
    return head


def is_distribution(estimates: pd.DataFrame, indicator: str) -> bool:
    """Whether an indicator is a distribution: categories whose shares make 100% per round."""
    rows = estimates[estimates["indicator"] == indicator]
    if rows.empty or is_blank(rows["category"]).any():
        return False
    if "median_category" in rows and rows["median_category"].notna().any():
        return True
    if set(rows["unit"]) != {"%"} or rows["category"].nunique() < 3:
        return False
    totals = distribution_shares(estimates, indicator).sum(axis=1)
    return bool(len(totals)) and bool(np.allclose(totals, 100.0, atol=1.0))


def distribution_shares(estimates: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """Category shares (%) of a distribution: one row per (group, round), categories in order."""
    rows = estimates[(estimates["indicator"] == indicator) & ~is_blank(estimates["category"])]
    rows = rows[~rows["flags"].map(lambda f: "suppressed" in flag_set(f))]
    keys = list(dict.fromkeys(zip(rows["group"], rows["round"], strict=True)))
    categories = list(dict.fromkeys(rows["category"]))
    table = rows.pivot_table(index=["group", "round"], columns="category", values="estimate",
                             aggfunc="first")
    index = pd.MultiIndex.from_tuples(keys, names=["group", "round"])
    return table.reindex(index=index, columns=categories).fillna(0.0).astype(float)


def _svg(figure, *, title: str, chart_id: str) -> str:
    """A figure as inline SVG text with a <title>, role="img" and ids unique to this chart."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": chart_id, "svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", bbox_inches="tight",
                       metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, count=1, flags=re.DOTALL)
    svg = LONG_DECIMAL.sub(lambda m: f"{float(m[1]):.2f}".rstrip("0").rstrip("."), svg)
    title_id = f"{chart_id}-title"
    svg = svg.replace("<svg", f'<svg role="img" aria-labelledby="{title_id}"', 1)
    end = svg.index(">") + 1
    return f'{svg[:end]}<title id="{title_id}">{html.escape(title)}</title>{svg[end:]}'


def _new_axes(rows: int):
    """A figure sized for `rows` horizontal rows, with quiet spines."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(5.2, 1.2 + 0.4 * max(rows, 1)), layout="constrained")
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=9)
    return figure, axes


def estimate_chart(points: pd.DataFrame, *, title: str, chart_id: str, unit: str) -> str:
    """Dot-and-whisker chart: estimate and 95% CI per round (markers) for each group (y axis)."""
    groups = list(dict.fromkeys(points["group"]))
    rounds = list(dict.fromkeys(points["round"]))
    figure, axes = _new_axes(len(groups) * max(len(rounds), 2) // 2)
    step = 0.7 / max(len(rounds), 1)
    withheld, caution = set(), set()
    for r, round_name in enumerate(rounds):
        colour, marker = ROUND_STYLES[r % len(ROUND_STYLES)]
        for hollow in (False, True):
            xs, ys, lows, highs = [], [], [], []
            for row in points[points["round"] == round_name].to_dict("records"):
                flags = flag_set(row.get("flags"))
                if "suppressed" in flags or pd.isna(row["estimate"]):
                    withheld.add(row["group"])
                    continue
                if ("caution" in flags) != hollow:
                    continue
                if hollow:
                    caution.add(row["group"])
                x = float(row["estimate"])
                low, high = (float(row[k]) if pd.notna(row[k]) else x
                             for k in ("ci_low", "ci_high"))
                xs.append(x)
                ys.append(groups.index(row["group"]) + (r - (len(rounds) - 1) / 2) * step)
                lows.append(max(x - low, 0.0))
                highs.append(max(high - x, 0.0))
            if xs:
                axes.errorbar(xs, ys, xerr=[lows, highs], fmt=marker, color=colour, capsize=3,
                              markersize=6, markerfacecolor="white" if hollow else colour,
                              label=None if hollow else round_name, elinewidth=1.4)
    labels = [f"{g} *" if g in withheld else f"({g})" if g in caution else g for g in groups]
    axes.set_yticks(range(len(groups)), labels)
    axes.set_ylim(len(groups) - 0.5, -0.5)
    axes.grid(axis="x", color="#dddddd", linewidth=0.8)
    axes.set_axisbelow(True)
    axes.set_xlabel({"points": "score (0-100)", "%": "%"}.get(unit, unit), fontsize=9)
    if axes.has_data():
        if unit in BOUNDED_UNITS:
            left, right = axes.get_xlim()
            axes.set_xlim(max(left, 0.0), min(right, 100.0))
        figure.legend(fontsize=8, frameon=False, loc="outside lower center", ncols=len(rounds))
    else:
        axes.text(0.5, 0.5, "all estimates withheld (fewer than 25 respondents)",
                  transform=axes.transAxes, ha="center", va="center", fontsize=9)
    return _svg(figure, title=title, chart_id=chart_id)


def _category_colours(categories: list[str]) -> list:
    """An ordered blue scale for substantive categories, greys for don't know / refused."""
    import matplotlib

    substantive = [c for c in categories if not NON_SUBSTANTIVE.search(str(c))]
    scale = matplotlib.colormaps["YlGnBu"](np.linspace(0.25, 0.9, max(len(substantive), 1)))
    greys = iter(["#b0b0b0", "#d4d4d4", "#8c8c8c", "#e6e6e6"])
    ordered = iter(scale)
    return [next(greys, "#cccccc") if NON_SUBSTANTIVE.search(str(c)) else next(ordered)
            for c in categories]


def distribution_chart(shares: pd.DataFrame, *, title: str, chart_id: str) -> str:
    """Stacked horizontal bars: category shares (summing to 100%) per group and round."""
    from matplotlib.colors import to_rgb

    figure, axes = _new_axes(len(shares) + 1)
    rows = np.arange(len(shares))
    left = np.zeros(len(shares))
    categories = [str(c) for c in shares.columns]
    for category, colour in zip(categories, _category_colours(categories), strict=True):
        values = shares[category].to_numpy(dtype=float)
        axes.barh(rows, values, left=left, color=colour, label=category, height=0.7,
                  edgecolor="white", linewidth=0.6)
        red, green, blue = to_rgb(colour)
        ink = "white" if 0.299 * red + 0.587 * green + 0.114 * blue < 0.5 else "#1d232a"
        for y, (value, start) in enumerate(zip(values, left, strict=True)):
            if value >= 7:
                axes.text(start + value / 2, y, f"{value:.0f}", ha="center", va="center",
                          fontsize=8, color=ink)
        left += values
    axes.set_yticks(rows, [f"{group} · {round_name}" for group, round_name in shares.index])
    axes.set_ylim(len(shares) - 0.5, -0.5)
    axes.set_xlim(0, 100)
    axes.set_xlabel("% of respondents", fontsize=9)
    if len(shares):
        figure.legend(fontsize=8, frameon=False, loc="outside lower center",
                      ncols=min(len(categories), 4))
    else:
        axes.text(50, 0, "all estimates withheld (fewer than 25 respondents)", ha="center",
                  fontsize=9)
    return _svg(figure, title=title, chart_id=chart_id)
