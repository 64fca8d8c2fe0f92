"""Server-rendered SVG charts for the web app: no script, no external resource, every label is text.

Every string that reaches the SVG is escaped here (company names come from manifests, dates and
titles from documents). Colours: one per category (colour-blind safe, Okabe–Ito based, as in
``publish.charts``); bars always carry their value as a label, so colour is never the only cue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from markupsafe import Markup, escape

from ..publish.scores import display_score

CATEGORY_COLOURS = {"total": "#1d2430", "G": "#0072B2", "F": "#C77C00", "P": "#009E73"}
CATEGORY_NAMES = {"total": "Total", "G": "Governance", "F": "Freedom of expression", "P": "Privacy"}
SERIES = ("total", "G", "F", "P")


def _fmt(v: float | None) -> str:
    return display_score(v)


def _truncate(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


@dataclass
class BarGroup:
    label: str
    values: dict[str, float | None]  # series -> 0..100 or None
    href: str | None = None


def grouped_bars(groups: list[BarGroup], *, title: str, series: tuple[str, ...] = SERIES, width: int = 760) -> Markup:
    """Horizontal grouped bars on a 0–100 axis, one group per company (or level), values labelled."""
    label_w, right_pad, top = 190, 56, 44
    bar_h, gap, group_gap = 11, 3, 16
    plot_w = width - label_w - right_pad
    group_h = len(series) * (bar_h + gap) - gap
    height = top + len(groups) * (group_h + group_gap) + 24
    out: list[str] = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">{escape(title)}</title>',
    ]
    # legend
    x = label_w
    for s in series:
        out.append(f'<rect x="{x}" y="8" width="12" height="12" rx="2" fill="{CATEGORY_COLOURS[s]}"/>')
        name = CATEGORY_NAMES[s]
        out.append(f'<text class="legend" x="{x + 17}" y="18">{escape(name)}</text>')
        x += 30 + len(name) * 7
    # grid and axis
    axis_y = height - 20
    for tick in range(0, 101, 20):
        tx = label_w + plot_w * tick / 100
        out.append(f'<line class="grid" x1="{tx:.1f}" y1="{top - 6}" x2="{tx:.1f}" y2="{axis_y}"/>')
        out.append(f'<text class="tick" x="{tx:.1f}" y="{axis_y + 14}" text-anchor="middle">{tick}</text>')
    y = top
    for g in groups:
        name = escape(_truncate(g.label, 28))
        label_y = y + group_h / 2 + 4
        if g.href:
            out.append(f'<a href="{escape(g.href)}"><text class="label link" x="{label_w - 10}" y="{label_y:.1f}" text-anchor="end">{name}</text></a>')
        else:
            out.append(f'<text class="label" x="{label_w - 10}" y="{label_y:.1f}" text-anchor="end">{name}</text>')
        for s in series:
            v = g.values.get(s)
            w = 0 if v is None else plot_w * max(0.0, min(100.0, v)) / 100
            desc = f"{g.label} — {CATEGORY_NAMES[s]}: {_fmt(v)}"
            out.append(
                f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" rx="2" fill="{CATEGORY_COLOURS[s]}">'
                f"<title>{escape(desc)}</title></rect>"
            )
            weight = ' font-weight="600"' if s == "total" else ""
            out.append(f'<text class="value" x="{label_w + w + 5:.1f}" y="{y + bar_h - 1}"{weight}>{_fmt(v)}</text>')
            y += bar_h + gap
        y += group_gap - gap
    out.append("</svg>")
    return Markup("".join(out))


@dataclass
class TimelinePoint:
    when: date
    label: str
    href: str
    highlight: bool = False


def _svg_open(cls: str, title_id: str, title: str, width: int, height: int) -> str:
    """The opening of an accessible inline SVG chart, its (escaped) title included."""
    return (f'<svg class="chart {cls}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
            f'aria-labelledby="{title_id}" xmlns="http://www.w3.org/2000/svg"><title id="{title_id}">{escape(title)}</title>')


def timeline(points: list[TimelinePoint], *, title: str, width: int = 900) -> Markup:
    """Versions on a time axis: a dot per version (linked), years marked."""
    height, left, right, axis_y = 92, 30, 30, 46
    out = [_svg_open("timeline", "tl-title", title, width, height)]
    if not points:
        return Markup(out[0] + "</svg>")
    lo, hi = min(p.when for p in points), max(p.when for p in points)
    span = max((hi - lo).days, 1)
    plot = width - left - right

    def xof(d: date) -> float:
        return left + plot * ((d - lo).days / span) if hi != lo else left + plot / 2

    out.append(f'<line class="axis" x1="{left}" y1="{axis_y}" x2="{width - right}" y2="{axis_y}"/>')
    for year in range(lo.year, hi.year + 2):
        d = date(year, 1, 1)
        if lo <= d <= hi:
            x = xof(d)
            out.append(f'<line class="grid" x1="{x:.1f}" y1="{axis_y - 8}" x2="{x:.1f}" y2="{axis_y + 8}"/>')
            out.append(f'<text class="tick" x="{x:.1f}" y="{axis_y + 24}" text-anchor="middle">{year}</text>')
    out.append(f'<text class="tick" x="{left}" y="{height - 4}">{escape(lo.isoformat())}</text>')
    out.append(f'<text class="tick" x="{width - right}" y="{height - 4}" text-anchor="end">{escape(hi.isoformat())}</text>')
    labelled = 0
    for p in points:
        x = xof(p.when)
        cls = "dot hl" if p.highlight else "dot"
        dy = -14 if labelled % 2 == 0 else -28
        out.append(
            f'<a href="{escape(p.href)}"><circle class="{cls}" cx="{x:.1f}" cy="{axis_y}" r="{7 if p.highlight else 5}">'
            f"<title>{escape(p.label)}</title></circle></a>"
        )
        if p.highlight or len(points) <= 12:
            labelled += 1
            out.append(f'<text class="tick" x="{x:.1f}" y="{axis_y + dy}" text-anchor="middle">{escape(p.label.split(" ")[0])}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def over_time(dates: list, series: list[tuple[str, str, list[float | None]]], *, title: str, hrefs: list[str] | None = None,
              width: int = 760, height: int = 230) -> Markup:
    """Scores over time: one stepped line per series (``(key, name, values)``; ``key`` picks the
    colour: total, G, F, P, else a default), a dot with its value in a tooltip at every date, dates
    on a time axis, 0–100. A score holds until the next date (the policy in force until then).
    ``hrefs``: a link per date (the assessment)."""
    left, right, top, bottom = 44, 16, 34, 42
    plot_w, plot_h = width - left - right, height - top - bottom
    out = [_svg_open("over-time", "ot-title", title, width, height)]
    if not dates:
        return Markup(out[0] + "</svg>")
    def stamp(d) -> float:  # dates and datetimes on one axis
        return (d if isinstance(d, datetime) else datetime(d.year, d.month, d.day, tzinfo=timezone.utc)).timestamp()

    lo_d, hi_d = min(dates, key=stamp), max(dates, key=stamp)
    lo, hi = stamp(lo_d), stamp(hi_d)
    lo_d, hi_d = (x.date() if isinstance(x, datetime) else x for x in (lo_d, hi_d))

    def xof(d) -> float:
        return left + plot_w * ((stamp(d) - lo) / (hi - lo)) if hi != lo else left + plot_w / 2

    def yof(v: float) -> float:
        return top + plot_h * (1 - max(0.0, min(100.0, v)) / 100)

    for tick in range(0, 101, 25):
        y = yof(tick)
        out.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}"/>')
        out.append(f'<text class="tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    axis_y = top + plot_h
    out.append(f'<line class="axis" x1="{left}" y1="{axis_y}" x2="{width - right}" y2="{axis_y}"/>')
    for year in range(lo_d.year, hi_d.year + 2):
        d = date(year, 1, 1)
        if lo_d < d <= hi_d:
            x = xof(d)
            out.append(f'<line class="grid" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{axis_y}"/>')
            out.append(f'<text class="tick" x="{x:.1f}" y="{axis_y + 15}" text-anchor="middle">{year}</text>')
    out.append(f'<text class="tick" x="{left}" y="{height - 6}">{escape(lo_d.isoformat())}</text>')
    out.append(f'<text class="tick" x="{width - right}" y="{height - 6}" text-anchor="end">{escape(hi_d.isoformat())}</text>')
    x = left
    palette = ["#CC79A7", "#56B4E9", "#D55E00", "#7a5195", "#3b7d23"]
    for i, (key, name, _) in enumerate(series):
        colour = CATEGORY_COLOURS.get(key, palette[i % len(palette)])
        out.append(f'<rect x="{x}" y="8" width="12" height="12" rx="2" fill="{colour}"/>')
        out.append(f'<text class="legend" x="{x + 17}" y="18">{escape(name)}</text>')
        x += 30 + len(name) * 7
    for i, (key, name, values) in enumerate(series):
        colour = CATEGORY_COLOURS.get(key, palette[i % len(palette)])
        pts = [(xof(d), yof(v), d, v) for d, v in zip(dates, values) if v is not None]
        if len(pts) > 1:
            path = [f"M{pts[0][0]:.1f},{pts[0][1]:.1f}"]
            for (x0, y0, _, _), (x1, y1, _, _) in zip(pts, pts[1:]):
                path.append(f"H{x1:.1f}V{y1:.1f}")
            width_ = 2.4 if key == "total" else 1.6
            out.append(f'<path d="{"".join(path)}" fill="none" stroke="{colour}" stroke-width="{width_}"/>')
        for k, (px, py, d, v) in enumerate(pts):
            label = d.strftime("%Y-%m-%d %H:%M UTC") if isinstance(d, datetime) else d.isoformat()
            dot = (f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{colour}" stroke="#fff" stroke-width="1">'
                   f"<title>{escape(f'{name}, {label}: {_fmt(v)}')}</title></circle>")
            j = dates.index(d)
            out.append(f'<a href="{escape(hrefs[j])}">{dot}</a>' if hrefs else dot)
    out.append("</svg>")
    return Markup("".join(out))
