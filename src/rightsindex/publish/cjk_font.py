"""The CJK font that charts and PDFs set Chinese in: Noto Sans CJK SC, brought by the project's own
install (the PyPI package ``noto-cjk-sans-otc``, SIL Open Font License 1.1), so that no system
package is needed and every machine draws the same glyphs.

- matplotlib charts: :func:`matplotlib_families` registers the font collection and names the
  Simplified Chinese face after DejaVu Sans (glyphs missing from DejaVu fall back to it).
- WeasyPrint PDFs: :func:`font_face_css` returns an ``@font-face`` rule whose source is a
  ``data:`` URL holding a subset of the Simplified Chinese face with exactly the CJK characters of
  the page. WeasyPrint would otherwise subset the whole 65,535-glyph face for every PDF (about 15 s
  each with fontTools); subsetting it here first, without layout closure, takes a few seconds and
  leaves WeasyPrint a small font.
"""

from __future__ import annotations

import base64
import io
import logging
from functools import lru_cache
from pathlib import Path

__all__ = ["CJK_FAMILY", "cjk_characters", "font_face_css", "font_path", "matplotlib_families"]

#: the family name charts and PDFs ask for
CJK_FAMILY = "Noto Sans CJK SC"

logging.getLogger("fontTools").setLevel(logging.ERROR)


def font_path() -> Path | None:
    """The Noto Sans CJK collection (``.ttc``) installed with the project, or None."""
    try:
        from noto_cjk_sans_otc import FONT_PATH
    except ImportError:
        return None
    path = Path(str(FONT_PATH))
    return path if path.is_file() else None


@lru_cache(maxsize=1)
def _face_index() -> int | None:
    """The index of the Simplified Chinese face in the collection."""
    path = font_path()
    if path is None:
        return None
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(path), lazy=True)
    try:
        for i, face in enumerate(collection.fonts):
            if face["name"].getDebugName(1) == CJK_FAMILY:
                return i
    finally:
        collection.close()
    return None


@lru_cache(maxsize=1)
def matplotlib_families() -> tuple[str, ...]:
    """The font families of charts: DejaVu Sans, then the CJK face when it is installed (matplotlib
    falls back glyph by glyph)."""
    from matplotlib import font_manager

    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # "no bold CJK face" notes
    names = {f.name for f in font_manager.fontManager.ttflist}
    path = font_path()
    if CJK_FAMILY not in names and path is not None:
        try:
            font_manager.fontManager.addfont(str(path))  # every face of the collection (matplotlib >= 3.10)
        except Exception:  # noqa: BLE001 - an unreadable font file: charts without CJK glyphs
            return ("DejaVu Sans",)
        names = {f.name for f in font_manager.fontManager.ttflist}
    if CJK_FAMILY in names:
        return ("DejaVu Sans", CJK_FAMILY)
    # an older matplotlib reads only a collection's first face (Japanese forms, same coverage)
    other = sorted(n for n in names if n.startswith("Noto Sans CJK"))
    return ("DejaVu Sans", other[0]) if other else ("DejaVu Sans",)


def cjk_characters(text: str) -> set[int]:
    """The code points of ``text`` that DejaVu Sans lacks and the CJK face draws (CJK punctuation,
    kana, ideographs, Hangul, full-width forms)."""
    return {cp for cp in map(ord, text) if 0x2E80 <= cp <= 0xD7FF or 0xF900 <= cp <= 0xFAFF or 0xFE30 <= cp <= 0xFE4F
            or 0xFF00 <= cp <= 0xFFEF or 0x20000 <= cp <= 0x3FFFF}


def _subset(codepoints: set[int]) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(font_path()), fontNumber=_face_index(), lazy=True, recalcBBoxes=False, recalcTimestamp=False)
    try:
        options = subset.Options(
            ignore_missing_glyphs=True, ignore_missing_unicodes=True, layout_features=[], name_IDs=["*"],
            notdef_outline=True, hinting=False,
        )
        options.drop_tables += ["GSUB", "GPOS", "VORG", "vhea", "vmtx"]  # horizontal text, no substitutions
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=codepoints)
        subsetter.subset(font)
        buf = io.BytesIO()
        font.save(buf)
        return buf.getvalue()
    finally:
        font.close()


def font_face_css(text: str) -> str:
    """An ``@font-face`` rule for :data:`CJK_FAMILY` holding the glyphs of the CJK characters of
    ``text``, or "" when it has none (or the font is not installed)."""
    codepoints = cjk_characters(text)
    if not codepoints or font_path() is None or _face_index() is None:
        return ""
    data = base64.b64encode(_subset(codepoints)).decode("ascii")
    return f'@font-face {{ font-family: "{CJK_FAMILY}"; src: url("data:font/otf;base64,{data}") format("opentype"); }}\n'
