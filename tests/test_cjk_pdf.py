"""Chinese in PDFs and charts from the font the project's own install brings (issue 20, item 15): no
system font package is needed."""

from __future__ import annotations

import pytest

from .cjk import shows_chinese
from .conftest import ROOT

BAIDU = ROOT / "examples" / "corpus-2026" / "docs" / "Baidu" / "baidu-netdisk-privacy-policy-zh.md"


def test_the_cjk_font_comes_with_the_install():
    from rightsindex.publish.cjk_font import CJK_FAMILY, font_path, matplotlib_families

    assert font_path() is not None and font_path().stat().st_size > 10_000_000
    assert matplotlib_families() == ("DejaVu Sans", CJK_FAMILY)


def test_a_pdf_shows_chinese_characters_without_a_system_cjk_font(tmp_path):
    pytest.importorskip("weasyprint")
    from rightsindex.publish.pdf import render_pdf

    text = BAIDU.read_text("utf-8")[:1500]
    html = ('<!doctype html><html lang="en"><head><meta charset="utf-8"><style>body { font: 10pt "DejaVu Sans", "Noto Sans CJK SC", sans-serif; }'
            f'</style></head><body><h1>Baidu 百度网盘隐私政策</h1><p lang="zh">{text}</p></body></html>')
    pdf = tmp_path / "baidu.pdf"
    render_pdf(html, pdf, base_url=str(tmp_path))
    ok, why = shows_chinese(pdf)
    assert ok, why
    assert pdf.stat().st_size < 1_500_000  # a subset of the font is embedded, not 16 MB of it


def test_chart_labels_in_chinese_are_drawn_with_the_cjk_face():
    import re
    import warnings

    from rightsindex.publish import charts

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)"
        svg = charts.ranking_chart([{"id": "x", "label": "百度网盘", "total": 40.0, "categories": {"G": 1.0, "F": 2.0, "P": 3.0}}],
                                   title="t")
    # text is drawn as paths, each glyph defined once under its font's name
    fonts = set(re.findall(r'<path id="([A-Za-z]+(?:-[A-Za-z]+)?)-[0-9a-f]+"', svg))
    assert any(f.startswith("NotoSansCJK") for f in fonts), fonts
    assert not any("LastResort" in f for f in fonts), fonts
