"""Server-rendered pages (Jinja2, autoescaped; htmx for the review panel)."""

from __future__ import annotations


from fastapi import APIRouter, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from .. import review
from ..methodology import MethodologyError, normalise_element_id, normalise_indicator_id
from ..review import login_throttle
from ..review.accounts import authenticate
from ..store.models import Company, GradeChange, Version
from .charts import CATEGORY_NAMES, BarGroup, TimelinePoint, grouped_bars, over_time, timeline
from ..corpus.diff import DiffTooLarge
from .data import NotFound, result_score, version_date
from .diffs import busy_as_503
from .queue_data import company_summary, element_note, uncertainty_order
from .render import render, require_analyst, require_viewer
from .urls import u_company, u_element, u_indicator, u_version
from .security import DbInt, safe_next


# -- formatting -------------------------------------------------------------------------------------


# -- URLs -------------------------------------------------------------------------------------------


# -- rendering --------------------------------------------------------------------------------------


# -- routes -----------------------------------------------------------------------------------------


def _shown(entries: list[dict], all: int) -> list[dict]:
    """Diff entries as the page shows them: runs of unchanged passages folded unless ``all``."""
    shown: list[dict] = []
    hidden = 0
    for e in entries:
        if e["status"] == "unchanged" and not all:
            hidden += 1
            continue
        if hidden:
            shown.append({"status": "skipped", "count": hidden})
            hidden = 0
        shown.append(e)
    if hidden:
        shown.append({"status": "skipped", "count": hidden})
    return shown


def _sort_value(item: dict, key: str):
    v = item.get(key)
    return (v is None, v if v is not None else 0)


def _duties(store, assessment_id: int, company: str, element, level: str, result: str | None) -> tuple[list[dict], list]:
    """The notice duties an element overlaps, with this company's answers where the assessment
    graded them (``--framework``) and whether each disagrees with the element's ``result``, else
    the duties alone."""
    from ..methodology import frameworks
    from ..publish.frameworks import crosswalk_answers
    from ..review.items import assessment_frameworks, item_rows

    overlaps = frameworks.overlapping(element.id)
    if not overlaps or not assessment_frameworks(store, assessment_id):
        return [], overlaps
    rows = item_rows(store, assessment_id, companies=[company])
    return crosswalk_answers(rows, company, element.id, level, result, reversed_element=element.reversed), overlaps


def router(ctx) -> APIRouter:
    r = APIRouter()
    data, store, auth = ctx.data, ctx.store, ctx.auth
    start_diff, wait_for_diff = data.diffs.start, busy_as_503(data.diffs.wait)

    @r.get("/", include_in_schema=False)
    def home(request: Request):
        require_viewer(ctx, request)
        return RedirectResponse("/ranking", status_code=303)

    # -- ranking -----------------------------------------------------------------------------------
    @r.get("/ranking", response_class=HTMLResponse, include_in_schema=False)
    def ranking(request: Request, assessment: DbInt | None = None, edition: str | None = None, sort: str = "total", order: str | None = None):
        require_viewer(ctx, request)
        with store.session() as s:
            try:
                a = data.resolve(s, assessment, edition)
            except NotFound as exc:
                return render(ctx, request, "empty.html", message=str(exc), status_code=404 if (assessment or edition) else 200)
            a_id, a_index, a_meth, a_status, a_created = a.id, a.index, a.methodology, a.status, a.created_at
            a_fws = list((a.meta or {}).get("frameworks") or [])
            assessments = data.assessments(s)
        sc = data.scored(a_id)
        items = []
        for cs in sc.ranking:
            items.append({
                "key": cs.company, "label": cs.label or cs.company, "type": cs.company_type, "total": cs.total,
                **{c: cs.categories.get(c) for c in ("G", "F", "P")}, "rank": sc.positions.get(cs.company),
                "services": [lvl for lvl in sc.levels.get(cs.company, []) if lvl not in ("Group", "OpCom")],
            })
        sort = sort if sort in ("total", "G", "F", "P", "label", "rank") else "total"
        desc = (order or ("asc" if sort in ("label", "rank") else "desc")) == "desc"
        if sort == "label":
            items.sort(key=lambda i: i["label"].lower(), reverse=desc)
        else:
            present = [i for i in items if i[sort] is not None]
            missing = [i for i in items if i[sort] is None]
            items = sorted(present, key=lambda i: i[sort], reverse=desc) + missing
        chart = grouped_bars(
            [BarGroup(i["label"], {"total": i["total"], "G": i["G"], "F": i["F"], "P": i["P"]}, u_company(i["key"], a_id)) for i in items],
            title=f"Scores by company, {a_index or 'assessment ' + str(a_id)}: {(data.shows(a_id) or {}).get('text', '')} (0–100)",
        )
        editions = sorted({x["index"] for x in assessments if x["index"]}, reverse=True)
        return render(
            ctx, request, "ranking.html", items=items, chart=chart, sort=sort, desc=desc, assessments=assessments, editions=editions,
            assessment={"id": a_id, "index": a_index, "methodology": a_meth, "status": a_status, "created_at": a_created},
            methodology=sc.methodology, frameworks=a_fws,
        )

    # -- company scorecard -------------------------------------------------------------------------
    @r.get("/companies/{company}", response_class=HTMLResponse, include_in_schema=False)
    def company_page(request: Request, company: str, assessment: DbInt | None = None):
        p = require_viewer(ctx, request)
        with store.session() as s:
            a = data.resolve(s, assessment)
            a_id, a_index = a.id, a.index
            prev = data.previous(s, a, company)
            prev_info = {"id": prev.id, "index": prev.index, "created_at": prev.created_at, "as_of": prev.as_of} if prev else None
            a_as_of = a.as_of
            docs = data.documents(s, company)
            stale = [
                {"level": d.level, "element": d.element, "step": d.step, "reason": d.rereview_reason}
                for d in review.stale_decisions(s, [company])
            ] if not ctx.public else []
            others = [x for x in data.assessments(s) if company in x["companies"]]
        sc = data.scored(a_id)
        cs = sc.scores.get(company)
        if cs is None:
            raise NotFound(f"assessment {a_id} has no company {company!r}")
        meth = sc.methodology
        levels = sc.levels.get(company, [])
        services = [lvl for lvl in levels if lvl not in ("Group", "OpCom")]
        prev_cs = prev_sc = None
        if prev_info:
            prev_sc = data.scored(prev_info["id"])
            prev_cs = prev_sc.scores.get(company)
        moved: dict[str, list[dict]] = {}
        if prev_sc is not None:
            from ..timeline.compare import excerpt

            for mv in data.changes_since(prev_info["id"], a_id, company):
                if mv.before is None or mv.after is None:
                    continue
                moved.setdefault(mv.indicator, []).append({
                    "element": mv.element, "label": mv.element_label, "level": mv.level, "old": mv.before, "new": mv.after,
                    "direction": mv.direction, "comment": mv.comment, "diff": [excerpt(d, 240) for d in mv.diff[:3]],
                    "before_versions": mv.before_versions, "after_versions": mv.after_versions,
                })
        points = data.series(company, meth.id)
        time_chart = over_time(
            [p_.when for p_ in points],
            [("total", "Total", [p_.scores.total for p_ in points]),
             *((c, CATEGORY_NAMES[c], [p_.scores.categories.get(c) for p_ in points]) for c in ("G", "F", "P"))],
            title=f"{cs.label or company}: total and category scores over time (0–100)",
            hrefs=[u_company(company, p_.assessment_id) for p_ in points],
        ) if len(points) > 1 else None
        rows = []
        for ind in meth.indicators.values():
            if ind.id not in cs.indicators:
                continue
            v = cs.indicators[ind.id]
            pv = prev_cs.indicators.get(ind.id) if prev_cs else None
            fam_moved = [m for child in ind.children for m in moved.get(child, [])] if ind.is_family else moved.get(ind.id, [])
            rows.append({
                "ind": ind, "score": v, "levels": {lvl: cs.levels.get(lvl, {}).get(ind.id) for lvl in levels},
                "prev": pv, "delta": (v - pv) if (v is not None and pv is not None) else None, "moved": fam_moved,
            })
        cat_chart = grouped_bars(
            [BarGroup(cs.label or company, {"total": cs.total, **{c: cs.categories.get(c) for c in ("G", "F", "P")}})],
            title=f"{cs.label or company}: total and category scores (0–100)",
        )
        svc_chart = grouped_bars(
            [BarGroup(lvl, cs.level_totals[lvl]) for lvl in services if lvl in cs.level_totals],
            title=f"{cs.label or company}: scores as if each service were the only one (0–100)",
        ) if services else None
        return render(
            ctx, request, "company.html", cs=cs, company=company, rows=rows, levels=levels, services=services, cat_chart=cat_chart,
            svc_chart=svc_chart, assessment={"id": a_id, "index": a_index, "as_of": a_as_of}, rank=sc.positions.get(company), of=len(sc.positions),
            prev=prev_info, prev_cs=prev_cs, moved=moved, docs=docs, stale=stale, methodology=meth, others=others,
            principal_can_review=p.can_review, queue=company_summary(sc, company), time_chart=time_chart,
        )

    # -- indicator ---------------------------------------------------------------------------------
    @r.get("/companies/{company}/indicators/{indicator}", response_class=HTMLResponse, include_in_schema=False)
    def indicator_page(request: Request, company: str, indicator: str, assessment: DbInt | None = None, sort: str | None = None):
        require_viewer(ctx, request)
        with store.session() as s:
            a = data.resolve(s, assessment)
            a_id = a.id
        sc = data.scored(a_id)
        cs = sc.scores.get(company)
        if cs is None:
            raise NotFound(f"assessment {a_id} has no company {company!r}")
        meth = sc.methodology
        try:
            ind = meth.indicator(normalise_indicator_id(indicator))
        except MethodologyError as exc:
            raise NotFound(str(exc)) from None
        levels = sc.levels.get(company, [])
        subs = [meth.indicators[c] for c in ind.children] if ind.is_family else [ind]
        tables = []
        for sub in subs:
            elements = []
            for eid in sub.elements:
                cells = {lvl: sc.by_key.get((company, lvl, eid)) for lvl in levels}
                elements.append({"el": meth.elements[eid], "cells": cells})
            if sort == "uncertainty":  # the element whose most doubtful level is the most doubtful first
                elements = uncertainty_order(sc, elements)
            tables.append({"ind": sub, "score": cs.indicators.get(sub.id), "levels": {lvl: cs.levels.get(lvl, {}).get(sub.id) for lvl in levels}, "elements": elements})
        points = data.series(company, meth.id)
        time_chart = over_time(
            [p_.when for p_ in points],
            [("total", ind.short, [p_.scores.indicators.get(ind.id) for p_ in points]),
             *((sub.id, sub.short, [p_.scores.indicators.get(sub.id) for p_ in points]) for sub in subs if sub.id != ind.id)],
            title=f"{cs.label or company}: {ind.short} score over time (0–100)",
            hrefs=[u_indicator(company, ind.id, p_.assessment_id) for p_ in points],
        ) if len(points) > 1 else None
        return render(ctx, request, "indicator.html", cs=cs, company=company, ind=ind, tables=tables, levels=levels,
                      assessment={"id": a_id, "index": sc.index}, score=cs.indicators.get(ind.id), methodology=meth,
                      sort="uncertainty" if sort == "uncertainty" else "methodology", time_chart=time_chart)

    # -- element -----------------------------------------------------------------------------------
    def element_values(request: Request, company: str, element: str, level: str | None, assessment: DbInt | None,
                       step: str | None = None, **extra) -> dict:
        p = ctx.auth.principal(request)
        step = step if step in review.STEPS else "final"  # the research step the review panel works at
        with store.session() as s:
            a = data.resolve(s, assessment)
            a_id = a.id
        sc = data.scored(a_id)
        meth = sc.methodology
        try:
            el = meth.element(normalise_element_id(element))
        except MethodologyError as exc:
            raise NotFound(str(exc)) from None
        if company not in sc.scores:
            raise NotFound(f"assessment {a_id} has no company {company!r}")
        cs = sc.scores[company]
        levels = sc.levels.get(company, [])
        if level is None:
            level = next((lvl for lvl in levels if sc.by_key.get((company, lvl, el.id), {}).get("Result") not in (None, "NA")), levels[0] if levels else "Group")
        row = sc.by_key.get((company, level, el.id))
        if row is None:
            raise NotFound(f"no judgment for {company} / {level} / {el.id} in assessment {a_id}")
        ind = meth.indicators[el.indicator]
        family = meth.indicators[ind.family] if ind.family else None
        order = list(meth.elements)
        i = order.index(el.id)
        with store.session() as s:
            j = data.judgment(s, a_id, company, level, el.id)
            state = review.review_state(s, review.ElementContext(a_id, meth.id, company, level, el.id, j))
            final = state["final"]
            evidence = list(final.evidence) if final is not None else list(j.evidence or [])
            # the review panel shows the passages of the chosen step (detach) and the grader's others (attach)
            step_evidence, step_source = review.evidence_at(s, review.ElementContext(a_id, meth.id, company, level, el.id, j), step)
            attached = {e.get("passage_id") for e in step_evidence}
            candidates = [e for e in (j.evidence or []) if e.get("passage_id") not in attached]
            decisions = [
                {"step": st, "result": d.result, "comment": d.comment, "by": d.updated_by, "at": d.updated_at, "flag": d.needs_rereview,
                 "reason": d.rereview_reason, "evidence": len(d.evidence or []), "assessment_id": d.assessment_id}
                for st, d in state["decisions"].items()
            ]
            audit = [{"at": e.at, "actor": e.actor, "action": e.action, "step": e.step, "summary": review.describe(e), "assessment_id": e.assessment_id} for e in state["audit"]]
            comments = [{"at": c.created_at, "author": c.author, "text": c.text, "step": c.step} for c in state["comments"]]
            auto = {"result": j.result, "confidence": j.confidence, "probabilities": dict(j.probabilities or {}), "prior_result": j.prior_result,
                    "prior_relation": j.prior_relation, "comment": j.comment}
            final_info = {"result": final.result, "by": final.updated_by, "at": final.updated_at, "flag": final.needs_rereview,
                          "reason": final.rereview_reason, "comment": final.comment} if final is not None else None
            probs = sorted(((k, v) for k, v in auto["probabilities"].items() if isinstance(v, (int, float))), key=lambda kv: -kv[1])
            # the explanation: sentences (this grader) or (feature, weight) pairs (graders before it)
            raw_why = auto["probabilities"].get("why") or []
            why = [w for w in raw_why if isinstance(w, str)] or [
                f"{str(x[0]).replace('_', ' ')} ({float(x[1]):+.2f})" for x in raw_why
                if isinstance(x, (list, tuple)) and len(x) == 2 and isinstance(x[1], (int, float))
            ]
            html_context = data.evidence_in_context(s, evidence)
            step_context = html_context if step_evidence == evidence else data.evidence_in_context(s, step_evidence, around=0)
        terms = [meth.glossary[t] for t in el.glossary if t in meth.glossary]
        duties, overlaps = _duties(store, a_id, company, el, level, row["Result"])
        level_nav = [{"level": lvl, "result": sc.by_key.get((company, lvl, el.id), {}).get("Result"), "reviewed": sc.by_key.get((company, lvl, el.id), {}).get("Reviewed") == "yes"} for lvl in levels]
        summary = {
            "result": row["Result"], "element_score": result_score(meth, el.id, row["Result"]), "reviewed": row["Reviewed"] == "yes",
            "indicator": ind, "indicator_score": cs.indicators.get(ind.id), "level_indicator_score": cs.levels.get(level, {}).get(ind.id),
            "family": family, "family_score": cs.indicators.get(family.id) if family else None,
            "category": ind.category, "category_score": cs.categories.get(ind.category), "total": cs.total, "rank": sc.positions.get(company),
            "of": len(sc.positions),
        }
        return dict(
            company=company, label=cs.label or company, el=el, ind=ind, family=family, level=level, levels=levels, row=row,
            assessment={"id": a_id, "index": sc.index}, summary=summary, auto=auto, probs=probs, final=final_info, decisions=decisions,
            audit=audit, comments=comments, evidence=html_context, why=why, candidates=candidates, terms=terms, level_nav=level_nav,
            prev_el=order[i - 1] if i > 0 else None, next_el=order[i + 1] if i + 1 < len(order) else None, methodology=meth,
            can_review=p.can_review, step=step, step_evidence=step_context, step_source=step_source,
            queue_note=element_note(sc, company, level, el.id), duties=duties, overlaps=overlaps, **extra,
        )

    @r.get("/companies/{company}/elements/{element}", response_class=HTMLResponse, include_in_schema=False)
    def element_page(request: Request, company: str, element: str, level: str | None = None, assessment: DbInt | None = None,
                     step: str | None = None):
        require_viewer(ctx, request)
        values = element_values(request, company, element, level, assessment, step)
        if request.headers.get("hx-request"):  # the review panel changed its research step
            return render(ctx, request, "_element_body.html", **values)
        return render(ctx, request, "element.html", **values)

    if not ctx.public:

        @r.post("/review/{company}/{element}", response_class=HTMLResponse, include_in_schema=False)
        def review_action(
            request: Request, company: str, element: str, level: str, assessment: DbInt,
            action: str = Form(...), step: str = Form("final"), result: str | None = Form(None), comment: str | None = Form(None),
            passage_id: str | None = Form(None),
        ):
            p = require_analyst(ctx, request)
            error = notice = None
            pid = None
            if passage_id not in (None, ""):
                try:
                    pid = int(str(passage_id).strip().lstrip("#"))
                except ValueError:
                    error = f"passage id {passage_id!r} is not a number"
                if pid is not None and not 0 < pid < 2**63:
                    error, pid = f"no passage {pid}", None
            if error is None:
                try:
                    with store.session() as s:
                        review.apply_action(
                            s, p.username, action, assessment_id=assessment, company_key=company, level=level,
                            element=normalise_element_id(element), step=step, result=result, comment=comment, passage_id=pid,
                        )
                    notice = {"accept": "Grade accepted.", "change": "Grade saved.", "attach": "Passage attached.",
                              "detach": "Passage detached.", "comment": "Comment added."}.get(action, "Saved.")
                except review.ReviewError as exc:
                    error = str(exc)
            # the answer keeps the research step the analyst worked at
            if request.headers.get("hx-request"):
                values = element_values(request, company, element, level, assessment, step, error=error, notice=notice)
                return render(ctx, request, "_element_body.html", status_code=422 if error else 200, **values)
            if error:
                values = element_values(request, company, element, level, assessment, step, error=error)
                return render(ctx, request, "element.html", status_code=422, **values)
            return RedirectResponse(u_element(company, normalise_element_id(element), level, assessment, step=step), status_code=303)

    # -- the feed of grade changes (as `watch` records them) ---------------------------------------
    @r.get("/changes", response_class=HTMLResponse, include_in_schema=False)
    def changes_page(request: Request, company: str | None = None):
        require_viewer(ctx, request)
        from ..timeline.feed import change_dict, recent_changes

        with store.session() as s:
            entries = [change_dict(c) for c in recent_changes(s, limit=200, company=company or None)]
            companies = sorted({c for (c,) in s.execute(select(GradeChange.company_key).distinct())})
        return render(ctx, request, "changes.html", entries=entries, company=company, companies=companies)

    @r.get("/changes.atom", include_in_schema=False)
    def changes_atom(request: Request, company: str | None = None):
        require_viewer(ctx, request)
        from fastapi.responses import Response

        from ..publish.feed import atom_feed, feed_id_for
        from ..timeline.feed import recent_changes

        # links from the configured public address, never from the request's Host header (anyone can
        # send any Host); without one they are relative, resolved by the reader against the feed's URL
        from urllib.parse import urlencode

        base = ctx.base_url or ""
        self_url = f"{base}/changes.atom" + (f"?{urlencode({'company': company})}" if company else "") if ctx.base_url else None
        with store.session() as s:
            entries = recent_changes(s, limit=200, company=company or None)
            text = atom_feed(entries, title="rightsindex: grade changes" + (f" ({company})" if company else ""),
                             feed_id=feed_id_for(f"web:{company or ''}"), base_url=base, self_url=self_url)
        return Response(text, media_type="application/atom+xml; charset=utf-8")

    # -- documents ---------------------------------------------------------------------------------
    @r.get("/documents", response_class=HTMLResponse, include_in_schema=False)
    def documents(request: Request, company: str | None = None):
        require_viewer(ctx, request)
        with store.session() as s:
            docs = data.documents(s, company)
            companies = [c.key for c in s.scalars(select(Company).order_by(Company.key))]
        return render(ctx, request, "documents.html", docs=docs, company=company, companies=companies)

    @r.get("/documents/{doc_id}", response_class=HTMLResponse, include_in_schema=False)
    async def document_page(request: Request, doc_id: DbInt, from_: DbInt | None = Query(None, alias="from"), to: DbInt | None = None, all: int = 0):
        # the database and the rendering on request threads; the diff in its own pool, waited for
        # by the event loop, so a long diff holds no request thread (web.diffs)
        page, job = await run_in_threadpool(_document_versions, request, doc_id, from_, to, all)
        if job is not None:
            try:
                all_entries, counts = await wait_for_diff(job)
            except DiffTooLarge as exc:
                page["diff"].update(entries=[], counts=None, too_large=str(exc))
            else:
                page["diff"].update(entries=_shown(all_entries, all), counts=counts)
        return await run_in_threadpool(_document_render, request, page)

    def _document_versions(request: Request, doc_id: int, from_: int | None, to: int | None, all: int) -> tuple[dict, object]:
        require_viewer(ctx, request)
        with store.session() as s:
            doc = data.document(s, doc_id)
            versions = list(s.scalars(select(Version).where(Version.document_id == doc.id).order_by(Version.seq)))
            vinfo = [{"seq": v.seq, "date": v.version_date, "recorded_at": v.recorded_at, "format": v.format, "language": v.language,
                      "chars": len(v.text), "source": v.source, "passages": None} for v in versions]
            diff = job = None
            if len(versions) >= 2:
                to_seq = to if to is not None else versions[-1].seq
                from_seq = from_ if from_ is not None else max(versions[0].seq, to_seq - 1)
                by_seq = {v.seq: v for v in versions}
                if from_seq not in by_seq or to_seq not in by_seq:
                    raise NotFound(f"document {doc.id} has versions 1–{versions[-1].seq}")
                job = start_diff(by_seq[from_seq], by_seq[to_seq])
                diff = {"from": from_seq, "to": to_seq, "all": bool(all),
                        "from_date": version_date(by_seq[from_seq]), "to_date": version_date(by_seq[to_seq])}
            points = [TimelinePoint(version_date(v), f"v{v.seq} {version_date(v).isoformat()}", u_version(doc.id, v.seq),
                                    highlight=bool(diff) and v.seq in (diff["from"], diff["to"])) for v in versions]
            info = {"id": doc.id, "key": doc.key, "title": doc.title or doc.key, "url": doc.url, "type": doc.type,
                    "company": doc.company.key, "company_name": doc.company.name, "levels": doc.levels}
        return {"doc": info, "versions": vinfo, "diff": diff, "points": points}, job

    def _document_render(request: Request, page: dict):
        chart = timeline(page.pop("points"), title=f"{page['doc']['title']}: {len(page['versions'])} versions")
        return render(ctx, request, "document.html", chart=chart, **page)

    @r.get("/documents/{doc_id}/versions/{seq}", response_class=HTMLResponse, include_in_schema=False)
    def version_page(request: Request, doc_id: DbInt, seq: DbInt, hl: DbInt | None = None):
        require_viewer(ctx, request)
        with store.session() as s:
            doc = data.document(s, doc_id)
            v = data.version(s, doc, seq)
            from ..corpus.versions import current_versions

            latest = current_versions(s, [doc.id])[doc.id].seq
            passages = [{"seq": p_.seq, "id": p_.id, "kind": p_.kind, "text": p_.text, "heading": p_.heading} for p_ in v.passages]
            info = {"id": doc.id, "key": doc.key, "title": doc.title or doc.key, "url": doc.url, "company": doc.company.key}
            vi = {"seq": v.seq, "date": version_date(v), "recorded_at": v.recorded_at, "format": v.format, "language": v.language, "source": v.source}
        return render(ctx, request, "version.html", doc=info, v=vi, passages=passages, hl=hl, latest=latest)

    # -- accounts ----------------------------------------------------------------------------------
    if not ctx.public:

        @r.get("/login", response_class=HTMLResponse, include_in_schema=False)
        def login_form(request: Request, next: str | None = None):
            p = auth.principal(request)
            if p.authenticated:
                return RedirectResponse(safe_next(next), status_code=303)
            return render(ctx, request, "login.html", next=safe_next(next), error=None)

        @r.post("/login", response_class=HTMLResponse, include_in_schema=False)
        def login(request: Request, username: str = Form(""), password: str = Form(""), next: str = Form("/")):
            username = username.strip()
            address = request.client.host if request.client else None
            device = auth.device_for(request, username)  # this browser signed in to this account before
            with store.session() as s:  # throttling lives in the database: shared by every worker
                verdict = login_throttle.check(s, username, address, device=device)
            if not verdict.allowed:
                minutes = max(1, round(verdict.retry_after / 60))
                resp = render(ctx, request, "login.html", status_code=429, next=safe_next(next),
                              error=f"{verdict.reason[:1].upper()}{verdict.reason[1:]}. Try again in {minutes} minute{'s' if minutes > 1 else ''}.")
                resp.headers["Retry-After"] = str(verdict.retry_after)
                return resp
            with store.session() as s:
                user = authenticate(s, username, password)
                uid = user.id if user else None
            with store.session() as s:
                if uid is None:
                    login_throttle.failed(s, username, address, device=device)
                else:
                    login_throttle.succeeded(s, username, address, device=device)
            if uid is None:
                return render(ctx, request, "login.html", status_code=401, next=safe_next(next), error="Wrong user name or password.")
            cookie, _csrf = auth.start_session(uid)
            resp = RedirectResponse(safe_next(next), status_code=303)
            auth.set_session_cookie(resp, request, cookie)
            if device is None:
                auth.set_device_cookie(resp, request, username)
            resp.delete_cookie("ri_csrf", path="/")
            return resp

        @r.post("/logout", include_in_schema=False)
        def logout(request: Request):
            p = auth.principal(request)
            auth.end_session(p)
            resp = RedirectResponse("/login", status_code=303)
            auth.clear_session_cookie(resp, request)
            return resp

    return r
