"""HTML → PDF with WeasyPrint, offline.

Only ``file:`` and ``data:`` resources are loaded (charts written next to the page); anything else a
page might name is refused, so rendering never touches the network. Latin text is set in the fonts
fontconfig finds (DejaVu Sans); Chinese text in Noto Sans CJK SC from the project's own install
(``publish.cjk_font``): the stylesheet names it after DejaVu Sans, and the page gets an
``@font-face`` rule with a subset of it holding the page's CJK characters, so no system font
package is needed.
"""

from __future__ import annotations

import logging
from pathlib import Path


class PDFError(RuntimeError):
    pass


def _fetcher():
    from weasyprint import urls

    if hasattr(urls, "URLFetcher"):  # WeasyPrint >= 66
        return urls.URLFetcher(allowed_protocols={"file", "data"}, allow_redirects=False)

    def fetch(url: str, *args, **kwargs):  # older WeasyPrint: a function
        if not url.startswith(("file:", "data:")):
            raise PDFError(f"refusing to fetch {url!r} while rendering a PDF (offline)")
        return urls.default_url_fetcher(url, *args, **kwargs)

    return fetch


def render_pdf(html: str, path: Path, *, base_url: str) -> None:
    """Render ``html`` to the PDF file ``path``."""
    try:
        from weasyprint import HTML
    except ImportError as exc:  # pragma: no cover - a missing optional dependency
        raise PDFError("PDF scorecards need WeasyPrint: pip install weasyprint") from exc
    for name in ("weasyprint", "fontTools"):
        logging.getLogger(name).setLevel(logging.ERROR)  # CSS/font notes are not the user's business
    from .cjk_font import font_face_css

    css = font_face_css(html)
    if css:  # before the page's own rules, in its head
        at = html.find("<head>")
        html = html[: at + 6] + f"<style>{css}</style>" + html[at + 6 :] if at >= 0 else f"<style>{css}</style>" + html
    path.parent.mkdir(parents=True, exist_ok=True)
    HTML(string=html, base_url=base_url, url_fetcher=_fetcher()).write_pdf(path)
