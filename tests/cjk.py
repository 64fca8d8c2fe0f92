"""Whether a PDF shows Chinese characters, read with pypdfium2 as a viewer draws them: the font each
CJK character is set in, and whether different characters draw different shapes (a missing glyph
draws the same empty box for every character)."""

from __future__ import annotations

import ctypes
from pathlib import Path


def is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def cjk_glyphs(pdf_path: Path, limit: int = 40) -> list[tuple[str, str, bytes]]:
    """Up to ``limit`` distinct CJK characters of the PDF: (character, font name, rendered pixels of
    its box)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    seen: dict[str, tuple[str, str, bytes]] = {}
    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        for page in pdf:
            textpage = page.get_textpage()
            scale = 4
            bitmap = page.render(scale=scale, grayscale=True).to_numpy()
            height = page.get_height()
            for i in range(textpage.count_chars()):
                ch = chr(raw.FPDFText_GetUnicode(textpage.raw, i))
                if not is_cjk(ch) or ch in seen:
                    continue
                buf = ctypes.create_string_buffer(256)
                flags = ctypes.c_int()
                raw.FPDFText_GetFontInfo(textpage.raw, i, buf, 256, ctypes.byref(flags))
                left, bottom, right, top = textpage.get_charbox(i)
                box = bitmap[int((height - top) * scale):int((height - bottom) * scale) + 1, int(left * scale):int(right * scale) + 1]
                seen[ch] = (ch, buf.value.decode("latin-1"), (box < 128).tobytes())
                if len(seen) >= limit:
                    return list(seen.values())
            textpage.close()
            page.close()
    finally:
        pdf.close()
    return list(seen.values())


def shows_chinese(pdf_path: Path) -> tuple[bool, str]:
    """(True, "") when the PDF's CJK characters are set in a CJK font and draw distinct shapes; else
    (False, why)."""
    glyphs = cjk_glyphs(pdf_path)
    if len(glyphs) < 5:
        return False, f"only {len(glyphs)} CJK characters found"
    fonts = {font for _, font, _ in glyphs}
    if not all("CJK" in f or "Hei" in f for f in fonts):
        return False, f"CJK characters set in {sorted(fonts)}"
    shapes = {pixels for _, _, pixels in glyphs}
    if len(shapes) < len(glyphs) * 0.8:
        return False, f"{len(glyphs)} characters draw only {len(shapes)} different shapes (boxes?)"
    if not any(any(b for b in pixels) for _, _, pixels in glyphs):
        return False, "the characters draw nothing"
    return True, ""


def pdf_text(pdf_path: Path) -> str:
    """The text of a PDF as pypdfium2 (PDFium, a browser's PDF engine) extracts it."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        parts = []
        for page in pdf:
            textpage = page.get_textpage()
            parts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return "\n".join(parts)
    finally:
        pdf.close()
