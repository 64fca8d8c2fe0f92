"""The web app: ranking, scorecards, element pages with evidence in context, document histories and
diffs, the analysts' review room, and a JSON API (``/api``, reference at ``/docs``).

    app = create_app("sqlite:///rightsindex.sqlite")            # analysts: sign-in required
    app = create_app("sqlite:///rightsindex.sqlite", public=True)  # read-only, no sign-in, no POST
    serve("sqlite:///rightsindex.sqlite", "127.0.0.1", 8000, public=False)

Scores shown are computed by ``scoring.score_all`` from the assessment's judgments with the
analysts' final decisions applied (``review.results.element_rows``), as ``assess`` computes them. Policy
text is untrusted: it is always escaped; every response carries a strict Content-Security-Policy.

Modules: ``app`` (the FastAPI app, ``serve``), ``pages`` (server-rendered pages), ``review_queue``
and ``queue_data`` (the analysts' queue), ``api`` (JSON API), ``render`` (Jinja2, filters, error
pages, who may see a page), ``urls``, ``charts`` (SVG), ``data`` (cached reads of the store),
``security`` (sessions, CSRF, headers, sign-in throttling).
"""

from .app import create_app, create_app_from_env, serve

__all__ = ["create_app", "create_app_from_env", "serve"]
