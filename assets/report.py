"""The survey report: one self-contained HTML document (inline CSS and SVG, no network, no JS)."""

from __future__ import annotations

import html
import re

import pandas as pd

from assets.charts import (
    distribution_chart,
    distribution_shares,
    estimate_chart,
    flag_set,
    headline_estimates,
    is_blank,
    is_distribution,
)

CSS = """
:root{--ink:#1d232a;--muted:#56606b;--line:#d9dee3;--head:#f2f4f6;--warn:#8a4b00}
*{box-sizing:border-box}html{-webkit-text-size-adjust:100%}a{color:#1f5a8a}
body{margin:0 auto;max-width:72rem;padding:1rem 1.25rem 3rem;color:var(--ink);background:#fff;
font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
h1{font-size:1.7rem;line-height:1.2;margin:.5rem 0 1rem}
h3{font-size:1.05rem;margin:1.75rem 0 .3rem}
h2{font-size:1.3rem;margin:2.5rem 0 .75rem;padding-bottom:.25rem;border-bottom:2px solid #d9dee3}
p,li,dd{max-width:46rem}
nav ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;padding:0;list-style:none}
.lead{background:var(--head);border-left:4px solid #4c72b0;padding:.75rem 1rem}
.table-scroll{overflow-x:auto;max-width:100%;margin:.75rem 0;border:1px solid var(--line)}
table{border-collapse:collapse;width:100%;font-size:.88rem;font-variant-numeric:tabular-nums}
caption{caption-side:top;text-align:left;padding:.4rem .5rem;color:var(--muted);font-size:.85rem}
th,td{padding:.35rem .55rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{background:var(--head);font-weight:600;vertical-align:bottom}
tbody th{font-weight:500;min-width:11rem}
td.num{text-align:right;white-space:nowrap}
.ci{color:var(--muted);font-size:.8rem}td .ci{display:block}
td.sha{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.8rem;word-break:break-all}
.warn{color:var(--warn);font-weight:600}.improved{color:#1b6b37}.worsened{color:#a3262a}
.legend,.summary,figcaption{font-size:.88rem;color:var(--muted)}
figure.chart{margin:.75rem 0 1.5rem;break-inside:avoid;page-break-inside:avoid}
figure.chart svg{display:block;max-width:100%;height:auto}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}
dl.meta dt{font-weight:600}dl.meta dd{margin:0;min-width:0}
@media (max-width:40rem){body{padding:.75rem .75rem 2rem;font-size:15px}h1{font-size:1.35rem}
tbody th{min-width:9rem}dl.meta{grid-template-columns:1fr}dl.meta dd{margin-bottom:.5rem}}
@media print{body{max-width:none;padding:0;font-size:10pt}nav{display:none}table{font-size:8pt}
tbody th{min-width:8rem}th,td{padding:.2rem .3rem}.ci{font-size:7pt}
.table-scroll{overflow:visible;border:0}thead{display:table-header-group}
tr,figure.chart,article.indicator{break-inside:avoid;page-break-inside:avoid}
h2,h3{break-after:avoid;page-break-after:avoid}a{color:inherit;text-decoration:none}}
"""

DECIMALS = {"points": 1, "%": 1, "count": 2}
CHANGE_UNIT = {"%": " pp"}


def esc(value: object) -> str:
    """HTML-escaped text of a value; missing values become an empty string."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return html.escape(str(value))


def fmt_number(value: object, unit: str, *, signed: bool = False) -> str:
    """A value rounded for display (1 decimal for points and %, 2 for counts)."""
    if value is None or pd.isna(value):
        return "\u2013"
    text = f"{float(value):{'+' if signed else ''}.{DECIMALS.get(unit, 2)}f}"
    return text.replace("-", "\u2212")


def fmt_estimate(value: object, low: object, high: object, unit: str, flags: set[str], *,
                 signed: bool = False) -> str:
    """Estimate [95% CI] as HTML: "*" when suppressed, the estimate in parentheses if caution."""
    if "suppressed" in flags:
        return '<span title="fewer than 25 respondents: withheld">*</span>'
    number = fmt_number(value, unit, signed=signed)
    suffix = CHANGE_UNIT.get(unit, "") if signed else ("%" if unit == "%" else "")
    shown = f"({number}{suffix})" if "caution" in flags else f"{number}{suffix}"
    if pd.isna(low) or pd.isna(high):
        return esc(shown)
    interval = f"[{fmt_number(low, unit, signed=signed)}, {fmt_number(high, unit, signed=signed)}]"
    return f'{esc(shown)} <span class="ci">{esc(interval)}</span>'


def fmt_p(value: object) -> str:
    """An adjusted p-value for display."""
    if value is None or pd.isna(value):
        return "\u2013"
    return "<0.001" if float(value) < 0.001 else f"{float(value):.3f}"


def flag_notes(flags: set[str]) -> str:
    """The flags a reader needs to see, as HTML (plausibility warning made visible)."""
    notes = [esc(f) for f in ("caution", "fisher", "weighted", "no_test") if f in flags]
    if "suppressed" in flags:
        notes.insert(0, "suppressed")
    if "plausibility_warning" in flags:
        notes.append('<span class="warn" title="implausible change or level: check the data">'
                     "⚠ plausibility warning</span>")
    return ", ".join(notes)


def headline_rows(comparison: pd.DataFrame) -> pd.DataFrame:
    """Group "all", blank category, first comparison: one row per indicator."""
    if comparison.empty:
        return comparison
    first = comparison["comparison"].iloc[0]
    keep = (comparison["comparison"] == first) & (comparison["group"] == "all")
    return comparison[keep & is_blank(comparison["category"])]


def _table(frame: pd.DataFrame, caption: str, numeric: tuple[str, ...] = ()) -> str:
    """A plain HTML table of a DataFrame inside a horizontally scrolling container."""
    head = "".join(f'<th scope="col">{esc(c)}</th>' for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f'<td class="{"num" if c in numeric else "sha" if c == "sha256" else ""}">'
                         f"{esc(v)}</td>" for c, v in row.items()) + "</tr>"
        for row in frame.to_dict("records"))
    return (f'<div class="table-scroll"><table><caption>{esc(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")


def _headline_table(comparison: pd.DataFrame) -> str:
    """The headline table (estimates, change, adjusted p, assessment, flags)."""
    rows = headline_rows(comparison)
    if rows.empty:
        return "<p>No headline rows.</p>"
    first = rows.iloc[0]
    base, end = esc(first["base_round"]), esc(first["end_round"])
    heads = ["Indicator", f"n {base}", f"{base} [95% CI]", f"n {end}", f"{end} [95% CI]",
             "Change [95% CI]", "Adjusted p", "Assessment", "Flags"]
    body = []
    for row in rows.to_dict("records"):
        flags, unit = flag_set(row["flags"]), str(row["unit"])
        estimates = [fmt_estimate(row[f"estimate_{r}"], row[f"ci_low_{r}"], row[f"ci_high_{r}"],
                                  unit, flags) for r in ("base", "end")]
        change = fmt_estimate(row["change"], row["change_ci_low"], row["change_ci_high"], unit,
                              flags, signed=True)
        assessment = esc(row["assessment"])
        numbers = [esc(row["n_base"]), estimates[0], esc(row["n_end"]), estimates[1], change,
                   esc(fmt_p(row["p_adjusted"]))]
        cells = "".join(f'<td class="num">{value}</td>' for value in numbers)
        body.append(f'<tr data-row="{esc(row["indicator"])}"><th scope="row">{esc(row["label"])}'
                    f'</th>{cells}<td class="{assessment}">{assessment}</td>'
                    f"<td>{flag_notes(flags)}</td></tr>")
    caption = (f"Comparison {esc(first['comparison'])} ({esc(first['design'])} design), "
               "all respondents of each indicator's population")
    header = "".join(f'<th scope="col">{h}</th>' for h in heads)
    legend = ('<p class="legend">* estimate withheld: fewer than 25 respondents (n shown). '
              "(\u2026) 25\u201349 respondents: interpret with caution. "
              '<span class="warn">⚠</span> plausibility warning: check before use.</p>')
    return (f'<div class="table-scroll"><table class="headline"><caption>{caption}</caption>'
            f"<thead><tr>{header}</tr></thead><tbody>{''.join(body)}</tbody></table></div>{legend}")


def _summary(comparison: pd.DataFrame, indicator: str) -> str:
    """One line per comparison: the indicator's change for group "all"."""
    rows = comparison[(comparison["indicator"] == indicator) & (comparison["group"] == "all")]
    lines = []
    for name, part in rows.groupby("comparison", sort=False):
        head = part[is_blank(part["category"])]
        head = head if not head.empty else part[part["category"] == part["category"].iloc[0]]
        if len(head) != 1:
            continue
        row = head.iloc[0]
        what = f" ({esc(row['category'])})" if is_blank(head["category"]).sum() == 0 else ""
        flags, unit = flag_set(row["flags"]), str(row["unit"])
        change = fmt_estimate(row["change"], row["change_ci_low"], row["change_ci_high"], unit,
                              flags, signed=True)
        extra = [flag_notes(flags)] if flag_notes(flags) else []
        if pd.notna(row.get("target")):
            met = {"yes": ": met", "no": ": not met"}.get(str(row.get("target_met")), "")
            extra.append(f"target {fmt_number(row['target'], unit)}{esc(met)}")
        lines.append(f"<li>{esc(name)} ({esc(row['design'])}, n {esc(row['n_base'])} / "
                     f"{esc(row['n_end'])}): change{what} {change}, adjusted p "
                     f"{esc(fmt_p(row['p_adjusted']))}, {esc(row['assessment'])}"
                     f"{''.join('; ' + e for e in extra)}</li>")
    return f'<ul class="summary">{"".join(lines)}</ul>' if lines else ""


def _chart_block(indicator: str, label: str, comparison: pd.DataFrame,
                 estimates: pd.DataFrame) -> str:
    """One indicator's block: heading, summary and its chart in a <figure>."""
    chart_id = "chart-" + re.sub(r"[^A-Za-z0-9_-]", "-", indicator)
    distribution = is_distribution(estimates, indicator)
    if distribution:
        title = f"{label}: share of respondents by category (%), per group and round"
        svg = distribution_chart(distribution_shares(estimates, indicator), title=title,
                                 chart_id=chart_id)
        note = ("Each bar adds up to 100%. Groups with fewer than 25 respondents are left out. "
                "Changes per category are in comparison.csv.")
    else:
        points = headline_estimates(estimates, indicator)
        unit = str(points["unit"].iloc[0]) if not points.empty else ""
        blank = points.empty or is_blank(points["category"]).all()
        category = "" if blank else f" ({points['category'].iloc[0]})"
        title = f"{label}{category}: estimate with 95% CI per round, by group"
        svg = estimate_chart(points, title=title, chart_id=chart_id, unit=unit)
        note = ("Whiskers: 95% confidence intervals. Hollow markers and (group): 25\u201349 "
                "respondents, interpret with caution. group *: fewer than 25 respondents in a "
                "round, estimate withheld.")
    return (f'<article class="indicator" id="{esc(chart_id)}" data-indicator="{esc(indicator)}">'
            f"<h3>{esc(label)}</h3>{'' if distribution else _summary(comparison, indicator)}"
            f'<figure class="chart">{svg}<figcaption><strong>{esc(title)}.</strong> {esc(note)}'
            f"</figcaption></figure></article>")


def _provenance(provenance: dict) -> str:
    """Run id, time, code version, input files with sha256 and declaration hashes."""
    meta = "".join(f"<dt>{esc(name)}</dt><dd>{esc(provenance.get(key, ''))}</dd>" for key, name in
                   (("run_id", "Run id"), ("created_at", "Created"),
                    ("code_version", "Code version")))
    inputs = pd.DataFrame(provenance.get("inputs") or [])
    keep = [c for c in ("round", "file", "rows", "sha256") if c in inputs]
    declarations = pd.DataFrame(sorted((provenance.get("declarations") or {}).items()),
                                columns=["file", "sha256"])
    return (f'<dl class="meta">{meta}</dl>'
            + _table(inputs[keep] if keep else inputs, "Input files", ("rows",))
            + _table(declarations, "Declarations"))


def render_report(*, comparison: pd.DataFrame, estimates: pd.DataFrame, families: dict[str, str],
                  notes: list[tuple[str, str]], validation: pd.DataFrame,
                  provenance: dict, title: str, validation_html: str = "") -> str:
    """The report as one self-contained HTML document (inline CSS and SVG; no network)."""
    labels = dict(zip(comparison["indicator"], comparison["label"], strict=True))
    indicators = list(dict.fromkeys([i for i in families if i in labels] + list(labels)))
    by_family: dict[str, list[str]] = {}
    for indicator in indicators:
        by_family.setdefault(families.get(indicator, "Other"), []).append(indicator)
    sections = []
    for number, (family, members) in enumerate(by_family.items(), start=1):
        blocks = "".join(_chart_block(i, labels[i], comparison, estimates) for i in members)
        sections.append(f'<section class="family" id="family-{number}"><h2>{esc(family)}</h2>'
                        f"{blocks}</section>")
    heads = set(headline_rows(comparison)["indicator"])
    missing = [labels[i] for i in indicators if i not in heads]
    missing_note = ("<p class=\"legend\">Reported by category in their own sections, not as a "
                    f"single figure: {esc('; '.join(missing))}.</p>") if missing else ""
    toc = "".join(f'<li><a href="#family-{n}">{esc(f)}</a></li>'
                  for n, f in enumerate(by_family, start=1))
    notes_html = "".join(f"<dt>{esc(topic)}</dt><dd>{esc(text)}</dd>" for topic, text in notes)
    body = "".join(sections)
    numeric = tuple(c for c in validation.columns if pd.api.types.is_numeric_dtype(validation[c]))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title><style>{CSS}</style></head>
<body><header><h1>{esc(title)}</h1>
<p class="lead"><strong>How to read this report.</strong> Each indicator is estimated in every
round; <em>change</em> is always the endline minus the baseline, in points for scores (0-100) and
in percentage points (pp) for percentages; a relative change (in %) is never used here and is
only in the <code>relative_change</code> column of <code>comparison.csv</code>. Figures in
square brackets are 95% confidence intervals. <em>Adjusted p</em> is the p-value after the
Benjamini-Hochberg correction across all comparisons; the assessment reads it together with the
indicator's desired direction. * marks an estimate withheld because fewer than 25 people
answered; an estimate in parentheses rests on 25&ndash;49 people.</p>
<nav aria-label="Contents"><ul><li><a href="#headline">Headline results</a></li>{toc}
<li><a href="#methods">Notes on methods</a></li><li><a href="#quality">Data quality</a></li>
<li><a href="#provenance">Provenance</a></li></ul></nav></header>
<main><section id="headline"><h2>Headline results</h2>{_headline_table(comparison)}
{missing_note}</section>
{body}
<section id="methods"><h2>Notes on methods</h2><dl class="meta">{notes_html}</dl></section>
<section id="quality"><h2>Data quality</h2>
{_table(validation, "Rows read, kept and quarantined per round and file", numeric)}</section>
{validation_html}
<section id="provenance"><h2>Provenance</h2>{_provenance(provenance)}</section></main>
</body></html>
"""
