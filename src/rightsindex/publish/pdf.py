"""HTML → PDF with WeasyPrint, offline.

Only ``file:`` and ``data:`` resources are loaded (charts written next to the page); anything else a
page might name is refused, so rendering never touches the network. Fonts come from fontconfig: the
stylesheet's stack ends in "WenQuanYi Micro Hei" / "Noto Sans CJK SC", so Chinese text is set in a
CJK font and embedded (Debian ``fonts-wqy-microhei``).
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
    path.parent.mkdir(parents=True, exist_ok=True)
    HTML(string=html, base_url=base_url, url_fetcher=_fetcher()).write_pdf(path)
