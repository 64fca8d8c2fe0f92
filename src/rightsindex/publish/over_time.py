"""For the published site: what changed since the previous assessment of each company, and its
scores over time (``timeline.compare`` and ``timeline.history.company_series``, read once per publication).

    history = collect(store, assessment_id, methodology, rows)     # company -> {"previous", "moved", "points"}
    svg = company_chart(history["Tencent"]["points"], label="Tencent Holdings", salt="t")
    sparkline(history["Tencent"]["points"], "P06")                # inline SVG for an indicator page
"""

from __future__ import annotations

from datetime import datetime, timezone

from markupsafe import Markup, escape

__all__ = ["collect", "company_chart", "sparkline"]


def collect(store, assessment_id: int, methodology: str, rows: list[dict]) -> dict[str, dict]:
    """Per company of the assessment: ``previous`` (the assessment before it, or None), ``moved``
    (the elements that moved since, as dicts with a one-line diff excerpt) and ``points`` (its
    scores in every assessment of it)."""
    from ..timeline.assessments import label, previous_assessment
    from ..timeline.compare import compare, excerpt
    from ..timeline.history import company_series
    from ..review.results import element_rows
    from ..store.models import Assessment

    companies = list(dict.fromkeys(r["Company"] for r in rows))
    out: dict[str, dict] = {}
    previous: dict[str, dict] = {}
    with store.session() as s:
        a = s.get(Assessment, assessment_id)
        for c in companies:
            p = previous_assessment(s, a, c)
            previous[c] = {"id": p.id, "label": label(p), "as_of": p.as_of, "created_at": p.created_at, "index": p.index} if p else None
    prev_rows: dict[int, list[dict]] = {}
    for c in companies:
        info = previous[c]
        moved = []
        if info is not None:
            if info["id"] not in prev_rows:
                prev_rows[info["id"]] = element_rows(store, info["id"])[0]
            pair = ([r for r in prev_rows[info["id"]] if r["Company"] == c], [r for r in rows if r["Company"] == c])
            for m in compare(store, info["id"], assessment_id, companies=[c], rows=pair).moved:
                if m.before is None or m.after is None:
                    continue
                moved.append({
                    "element": m.element, "label": m.element_label, "indicator": m.indicator, "level": m.level,
                    "before": m.before, "after": m.after, "direction": m.direction, "comment": m.comment,
                    "diff": [excerpt(d, 240) for d in m.diff[:3]],
                })
        out[c] = {"previous": info, "moved": moved, "points": company_series(store, c, methodology)}
    return out


def _x(points) -> list[str]:
    return [p.day.isoformat() for p in points]


def company_chart(points, *, label: str, salt: str) -> str:
    """Total and category scores over time (matplotlib SVG, as the site's other charts)."""
    from .charts import over_time

    series = [("total", [p.scores.total for p in points]),
              *((c, [p.scores.categories.get(c) for p in points]) for c in ("G", "F", "P"))]
    return over_time(_x(points), series, title=f"{label}: total and category scores over time", salt=salt)


def sparkline(points, indicator: str, *, width: int = 320, height: int = 64) -> Markup:
    """An indicator's score over time as a small inline SVG (no script, values in tooltips)."""
    values = [(p, p.scores.indicators.get(indicator)) for p in points]
    values = [(p, v) for p, v in values if v is not None]
    if len(values) < 2:
        return Markup("")
    stamps = [datetime(p.day.year, p.day.month, p.day.day, tzinfo=timezone.utc).timestamp() for p, _ in values]
    lo, hi = min(stamps), max(stamps)
    pad = 6

    def x(t: float) -> float:
        return pad + (width - 2 * pad) * ((t - lo) / (hi - lo) if hi > lo else 0.5)

    def y(v: float) -> float:
        return pad + (height - 2 * pad) * (1 - v / 100)

    path = f"M{x(stamps[0]):.1f},{y(values[0][1]):.1f}" + "".join(
        f"H{x(t):.1f}V{y(v):.1f}" for t, (_, v) in zip(stamps[1:], values[1:])
    )
    dots = "".join(
        f'<circle cx="{x(t):.1f}" cy="{y(v):.1f}" r="2.5" fill="#1d2430"><title>{escape(p.day.isoformat())}: {v:.1f}</title></circle>'
        for t, (p, v) in zip(stamps, values)
    )
    title = f"{indicator} over time: " + ", ".join(f"{p.day.isoformat()} {v:.1f}" for p, v in values)
    return Markup(
        f'<svg class="sparkline" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
        f'<line x1="{pad}" y1="{y(50):.1f}" x2="{width - pad}" y2="{y(50):.1f}" stroke="#e3e7ee"/>'
        f'<path d="{path}" fill="none" stroke="#0072B2" stroke-width="1.8"/>{dots}</svg>'
    )
