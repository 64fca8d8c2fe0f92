"""Extraction: bytes of a policy document → normalised text that keeps its structure.

Fixtures are real policy excerpts (see tests/fixtures/extract/SOURCES.md).
"""
from __future__ import annotations

import gzip
import random
import re
import time
from pathlib import Path

import pytest

from rightsindex.corpus.extract import (
    Extracted,
    ExtractError,
    decode,
    extract,
    normalise_text,
    sniff_format,
)
from rightsindex.corpus.extract.html import _html_fallback

FIXTURES = Path(__file__).parent / "fixtures" / "extract"


def read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def lines(text: str) -> list[str]:
    return text.split("\n")


# ---------------------------------------------------------------------------- normalise_text


def test_normalise_applies_each_whitespace_and_control_rule():
    raw = (
        "\ufeff\n \n"  # BOM and leading blank lines
        "Title\r\n"  # CRLF
        "one\ttwo\u00a0three\u3000four   \r"  # tab, NBSP, ideographic space, trailing spaces, lone CR
        "bell\x07 nul\x00 esc\x1b del\x7f c1\x9f zero\u200bwidth soft\u00adhyphen\n"
        "\n\n\n\n"  # 4 newlines → one blank line
        "  indented  with   inner   runs\n"
        "\n \t \n"  # blank and whitespace-only lines
    )
    assert normalise_text(raw) == (
        "Title\n"
        "one two three four\n"
        "bell nul esc del c1 zerowidth softhyphen\n"
        "\n"
        "  indented with inner runs"
    )


def test_normalise_composes_to_nfc():
    decomposed = "Cafe\u0301 re\u0301sume\u0301"
    assert normalise_text(decomposed) == "Caf\u00e9 r\u00e9sum\u00e9"


def test_normalise_turns_page_and_line_separators_into_line_breaks():
    assert normalise_text("page one\x0cpage two\u2028line\u2029paragraph") == "page one\npage two\nline\n\nparagraph"


def test_normalise_is_idempotent_on_fixtures_and_on_nasty_random_strings():
    alphabet = ["a", "中", " ", "  ", "\t", "\n", "\r", "\r\n", "\x00", "\x0b", "\x0c", "\x1f", "\x85",
                "\u00a0", "\u2028", "\u2029", "\u200b", "\ufeff", "\u3000", "e\u0301", "\u0301", "\u00ad",
                "\ud800", "\u2000", "\ufffe", "#", " \n", "\n\n\n"]
    rng = random.Random(2026)
    samples = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(40))) for _ in range(3000)]
    samples += [extract(read(name), filename=name).text for name in ("apple-privacy.md", "deepseek-privacy.html")]
    for s in samples:
        once = normalise_text(s)
        assert normalise_text(once) == once, repr(s)
        assert not once.endswith("\n") and not once.startswith("\n")


# ---------------------------------------------------------------------------- sniff_format


def test_magic_bytes_win_over_names_and_content_types():
    pdf = read("apple-human-rights.pdf")
    assert sniff_format(pdf, filename="policy.html", content_type="text/html") == "pdf"
    page = b"<!DOCTYPE html><html><body><p>Sign in to continue</p></body></html>"
    assert sniff_format(page, filename="policy.pdf", content_type="application/pdf") == "html"


def test_content_type_then_extension_then_content_decide():
    body = b"Privacy Policy\n\nWe collect data."
    assert sniff_format(body, filename="p.txt", content_type="text/html; charset=utf-8") == "html"
    assert sniff_format(body, filename="p.md", content_type="application/octet-stream") == "markdown"
    assert sniff_format(body, filename="https://x.example/p.HTM?lang=en") == "html"
    assert sniff_format(body, filename="p.txt") == "text"
    assert sniff_format(b"<!doctype html><title>T</title><p>x") == "html"
    assert sniff_format(b"\n  <html lang='en'><body>x</body></html>") == "html"
    assert sniff_format(b"# Privacy Policy\n\nWe collect data.") == "markdown"
    assert sniff_format(body) == "text"


def test_binary_bytes_named_html_are_refused_with_a_clear_message():
    with pytest.raises(ExtractError, match=r"^binary content \(unknown type.*\), not a text document$"):
        extract(read("binary.html"), filename="binary.html", content_type="text/html")


@pytest.mark.parametrize(
    "data, kind",
    [
        (gzip.compress(read("deepseek-privacy.html")), "gzip-compressed data"),
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "PNG image"),
        (b"\xff\xd8\xff\xe0" + bytes(64), "JPEG image"),
        (b"PK\x03\x04" + bytes(64), "ZIP archive"),
        (b"\x7fELF\x02\x01\x01" + bytes(64), "ELF executable"),
    ],
)
def test_known_binary_formats_are_named_in_the_error(data, kind):
    with pytest.raises(ExtractError, match=re.escape(f"binary content ({kind}")):
        extract(data, filename="policy.html")


# ---------------------------------------------------------------------------- decode


def test_gb18030_page_without_any_declaration_decodes_correctly():
    data = read("jd-privacy-gb18030.html")
    assert b"charset" not in data.lower()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    text, charset = decode(data)
    assert charset == "gb18030"
    assert "<title>京东隐私政策</title>" in text
    assert "我们如何收集和使用您的个人信息" in text


def test_big5_page_without_any_declaration_decodes_correctly():
    data = read("baidu-privacy-big5.html")
    assert b"charset" not in data.lower()
    text, charset = decode(data)
    assert charset in ("big5", "big5hkscs", "cp950")
    assert "“百度”移動應用隱私政策" in text
    assert "我們如何處理未成年人的個人信息" in text


def test_declared_gbk_and_gb2312_are_read_as_gb18030():
    data = read("jd-privacy-gb18030.html")
    for label in ("gb2312", "GBK", "x-gbk"):
        text, charset = decode(data, declared=label)
        assert charset == "gb18030"
        assert "京东隐私政策" in text


def test_a_wrong_declaration_falls_back_to_detection():
    data = read("jd-privacy-gb18030.html")
    text, charset = decode(data, declared="utf-8")
    assert charset == "gb18030" and "京东隐私政策" in text
    lying_meta = data.replace(b"<head>", b'<head><meta charset="utf-8">')
    text, charset = decode(lying_meta)
    assert charset == "gb18030" and "京东隐私政策" in text


def test_meta_charset_is_used_for_html():
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252"></head>'
        "<body>We don’t sell – ever</body></html>"
    )
    text, charset = decode(page.encode("cp1252"))
    assert charset == "cp1252"
    assert "We don’t sell – ever" in text


def test_utf8_mislabelled_as_latin1_is_still_utf8():
    zh = read("jd-privacy-gb18030.html").decode("gb18030")
    text, charset = decode(zh.encode("utf-8"), declared="iso-8859-1")
    assert charset == "utf-8" and "京东隐私政策" in text


def test_windows_1252_text_file_decodes_its_curly_quotes():
    result = extract(read("google-terms-cp1252.txt"), filename="terms.txt")
    assert result.format == "text"
    assert result.charset == "cp1252"
    assert "What’s covered in these terms" in result.text
    assert "Google’s business works" in result.text
    assert "\r" not in result.text


def test_english_in_windows_1252_is_not_read_as_a_dos_code_page():
    # charset-normalizer alone names cp775 (Baltic DOS) for this text; its dashes and quotes are
    # scattered single high bytes, the mark of a Western text: Windows-1252.
    text = read("apple-privacy.md").decode("utf-8")
    data = text.encode("cp1252", errors="ignore")
    decoded, charset = decode(data)
    assert charset == "cp1252"
    assert decoded == data.decode("cp1252")
    assert "fundamental privacy rights — and that" in decoded


def test_utf16_with_bom_decodes():
    text, charset = decode("<p>Datenschutzerklärung 隐私</p>".encode("utf-16"))
    assert charset.startswith("utf-16") and text == "<p>Datenschutzerklärung 隐私</p>"


def test_a_few_damaged_bytes_in_utf8_become_replacement_characters():
    good = read("jd-privacy-gb18030.html").decode("gb18030").encode("utf-8")
    damaged = good[:400] + b"\xff" + good[400:]
    text, charset = decode(damaged)
    assert charset == "utf-8"
    assert text.count("\ufffd") == 1
    assert "我们如何收集和使用您的个人信息" in text


def test_badly_damaged_utf8_is_undecodable():
    data = bytearray(read("jd-privacy-gb18030.html").decode("gb18030").encode("utf-8"))
    rng = random.Random(5)
    for i in rng.sample(range(len(data)), len(data) * 3 // 100):  # 3 % of the bytes overwritten
        data[i] = 0xFF
    with pytest.raises(ExtractError, match="^undecodable text"):
        extract(bytes(data), filename="policy.html")


@pytest.mark.parametrize(
    "data",
    [
        random.Random(11).randbytes(3000).translate(bytes(range(128, 256)) * 2),  # high bytes, no text at all
        b"Privacy \xff\xfe\xfd policy " * 50 + b"\xc3\x28" * 400,  # UTF-8 lead bytes before ASCII
    ],
    ids=["random-high-bytes", "broken-sequences"],
)
def test_invalid_utf8_that_is_no_other_encoding_is_undecodable(data):
    with pytest.raises(ExtractError, match="^undecodable text"):
        extract(data, filename="policy.txt")


# ---------------------------------------------------------------------------- HTML


def test_html_keeps_headings_lists_tables_and_paragraphs_as_markdown():
    result = extract(read("deepseek-privacy.html"), filename="privacy.html")
    assert (result.format, result.charset, result.pages) == ("html", "utf-8", None)
    assert result.title == "DeepSeek Privacy Policy"
    ls = lines(result.text)
    assert "# DeepSeek Privacy Policy" in ls
    assert "## Introduction" in ls
    assert "### Personal Data You Provide" in ls
    assert any(l.startswith("- ") and "Account Personal Data." in l for l in ls)
    assert any(l.startswith("- ") and "User Input." in l for l in ls)
    assert "1. Right to access your Personal Data." in ls
    assert "2. Right to delete your Personal Data." in ls
    i = ls.index("| Purpose of processing | Personal Data categories | Legal bases |")
    assert ls[i + 1] == "| --- | --- | --- |"
    assert any(l.startswith("| To provide, administer and maintain the Services") and l.endswith("|") for l in ls)
    assert "\n\nWelcome to DeepSeek!\n\n" in result.text  # a paragraph between blank lines


def test_html_drops_navigation_footer_cookie_banner_and_head():
    text = extract(read("deepseek-privacy.html"), filename="privacy.html").text
    for chrome in ("Careers at the company", "We use cookies to improve", "Accept all", "Example footer text",
                   "analytics.js", "site.css"):
        assert chrome not in text


def test_html_without_main_element_keeps_its_headings():
    result = extract(read("jd-privacy-gb18030.html"), filename="jd.html")
    ls = lines(result.text)
    assert result.title == "京东隐私政策"
    assert "# 京东隐私政策" in ls
    assert "## 引言" in ls
    assert "## （一）您须授权我们收集和使用您个人信息的情形" in ls
    assert "1. 如您不想接收搜索页为您综合推荐的商品或服务，可以选择按销量、价格或者其他页面可选的维度接收相应的搜索结果展示；" in ls  # noqa: E501


def test_big5_html_page_extracts_with_structure():
    result = extract(read("baidu-privacy-big5.html"), filename="baidu.htm")
    ls = lines(result.text)
    assert result.title == "“百度”移動應用隱私政策"
    assert "# “百度”移動應用隱私政策" in ls
    assert "5. 您的權利" in ls


PAYLOADS = [
    "alert(", "javascript:", "onerror", "onload", "onclick", "onmouseover", "document.cookie", "evil.example",
    "document.write", "<script", "<iframe", "<style", "color: red", "var secret", "steal(",
]


def _assert_harmless(text: str) -> None:
    assert "_PAYLOAD" not in text, [l for l in lines(text) if "_PAYLOAD" in l]
    for payload in PAYLOADS:
        assert payload not in text, payload


def test_hostile_html_yields_only_the_policy_text():
    data = read("hostile.html")
    assert data.count(b"_PAYLOAD") >= 20
    result = extract(data, filename="hostile.html")
    _assert_harmless(result.text)
    assert result.title == "Apple Privacy Policy"
    assert "At Apple, we believe strongly in fundamental privacy rights" in result.text
    assert "There may be situations where we cannot grant your request" in result.text  # after a <script>
    assert "Contact us." in result.text  # the text of a javascript: link stays, its URL does not


def test_hostile_html_through_the_fallback_converter_is_harmless_too():
    text = _html_fallback(read("hostile.html").decode("utf-8"))
    _assert_harmless(text)
    assert "# Apple Privacy Policy" in lines(text)
    assert "There may be situations where we cannot grant your request" in text


def test_fallback_converter_writes_markdown_structure():
    text = _html_fallback(read("deepseek-privacy.html").decode("utf-8"))
    ls = lines(text)
    assert "### Personal Data You Provide" in ls
    i = ls.index("| Purpose of processing | Personal Data categories | Legal bases |")
    assert ls[i + 1] == "| --- | --- | --- |"
    assert ls[i + 2].startswith("| To provide, administer and maintain the Services")
    assert "1. Right to access your Personal Data." in ls
    assert "Careers at the company" not in text and "Example footer text" not in text


def test_fallback_converter_handles_nesting_ordered_starts_and_line_breaks():
    page = """<body><h2>Your   choices</h2>
      <ol start="3"><li>Access<ul><li>online</li><li>by mail</li></ul></li><li>Deletion</li></ol>
      <p>Line one<br>line two</p><blockquote><p>Quoted rule</p></blockquote>
      <table><tr><td>a|b</td><td>c<br>d</td></tr></table></body>"""
    assert _html_fallback(page) == (
        "## Your choices\n\n"
        "3. Access\n  - online\n  - by mail\n4. Deletion\n\n"
        "Line one\nline two\n\n"
        "> Quoted rule\n\n"
        "| a\\|b | c d |\n| --- | --- |"
    )


def test_when_trafilatura_keeps_too_little_the_own_converter_is_used():
    # trafilatura takes a block classed "comments" for reader comments and drops it
    # (include_comments=False): it keeps only the short <article>, far less than the visible text.
    policy = re.search(rb"<main>(.*)</main>", read("hostile.html"), re.S).group(1).decode()
    page = (
        "<html><head><title>T</title></head><body>"
        "<article><h1>Privacy</h1><p>Last updated on the first of May, 2026, for all users.</p></article>"
        f"<div class='comments'>{policy}</div></body></html>"
    )
    result = extract(page.encode(), filename="p.html")
    assert "Last updated on the first of May, 2026, for all users." in result.text
    assert "This Privacy Policy covers how Apple or an Apple-affiliated company" in result.text
    assert "There may be situations where we cannot grant your request" in result.text
    _assert_harmless(result.text)


def test_html_title_falls_back_to_the_first_h1():
    page = b"<html><body><h1>Community  Guidelines</h1><p>Be respectful to other people here.</p></body></html>"
    assert extract(page).title == "Community Guidelines"


def test_a_300_kb_page_extracts_well_under_a_second():
    html = read("deepseek-privacy.html").decode("utf-8")
    article = re.search(r"<main>.*</main>", html, re.S).group(0)
    sections = [article.replace("DeepSeek", f"DeepSeek {i}") for i in range(45)]
    page = html.replace(article, "\n".join(sections)).encode("utf-8")
    assert 280_000 < len(page) < 400_000
    extract(page[:5000] + b"</main></body></html>", filename="warm-up.html")  # imports
    best = min(_timed(lambda: extract(page, filename="big.html")) for _ in range(2))
    assert best < 1.0, f"{best:.2f} s"
    assert extract(page, filename="big.html").text.count("## Introduction") == 45


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# ---------------------------------------------------------------------------- PDF


def test_pdf_text_of_both_pages_with_headings_and_paragraphs():
    result = extract(read("apple-human-rights.pdf"), filename="hr.pdf")
    assert (result.format, result.charset, result.pages) == ("pdf", None, 2)
    assert result.title == "Apple Human Rights Policy"
    ls = lines(result.text)
    assert ls[0] == "# Human Rights Policy"
    assert "## People Come First" in ls
    assert "## The Technology We Make" in ls  # page 2
    page1 = result.text.index("At Apple, our respect for human rights begins with our commitment")
    page2 = result.text.index("As a global technology company, we operationalize")
    assert page1 < page2
    # lines wrapped by the PDF layout are joined into one paragraph, paragraphs apart
    assert "treating everyone with dignity and respect. But it doesn’t end there.\n\nWe believe" in result.text


def test_chinese_pdf_lines_join_without_spaces():
    result = extract(read("baidu-privacy-zh.pdf"))
    assert result.pages == 1
    assert "# “百度”移动应用隐私政策" in lines(result.text)
    assert "北京百度网讯科技有限公司，以下亦称“我们”" in result.text  # wrapped across two PDF lines


def test_pdf_with_an_empty_user_password_opens():
    result = extract(read("owner-password-only.pdf"))
    assert "## People Come First" in lines(result.text)


def test_encrypted_pdf_needs_a_password():
    with pytest.raises(ExtractError, match=r"^encrypted PDF \(password required\)$"):
        extract(read("encrypted.pdf"), filename="encrypted.pdf")


def test_truncated_pdf_is_corrupt():
    with pytest.raises(ExtractError, match="^corrupt PDF: "):
        extract(read("truncated.pdf"), filename="truncated.pdf")


def test_pdf_header_with_garbage_body_is_corrupt():
    rng = random.Random(3)
    with pytest.raises(ExtractError, match="^corrupt PDF: "):
        extract(b"%PDF-1.7\n" + bytes(rng.randrange(256) for _ in range(2000)))


def test_pdf_named_file_without_pdf_header_is_corrupt():
    with pytest.raises(ExtractError, match=r"^corrupt PDF: no %PDF- header$"):
        extract(b"Privacy policy, plain words.", filename="policy.pdf")


def test_scanned_pdf_has_no_text_layer():
    with pytest.raises(ExtractError, match=r"^PDF has no text layer \(scanned\?\); OCR is not supported$"):
        extract(read("scanned.pdf"), filename="scan.pdf")


def test_pdf_running_headers_and_page_numbers_are_dropped():
    reportlab = pytest.importorskip("reportlab")  # noqa: F841
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for n in range(1, 4):
        c.setFont("Helvetica", 8)
        c.drawString(72, 800, "ACME Privacy Policy - Confidential")
        c.drawString(280, 30, f"Page {n} of 3")
        c.setFont("Helvetica", 10)
        c.drawString(72, 700, f"Section {n} says we keep your data for {n * 30} days.")
        c.showPage()
    c.save()
    result = extract(buf.getvalue())
    assert "Section 2 says we keep your data for 60 days." in result.text
    assert "Confidential" not in result.text
    assert "Page 2 of 3" not in result.text


def test_pdf_larger_than_max_chars_is_refused():
    with pytest.raises(ExtractError, match="too large"):
        extract(read("apple-human-rights.pdf"), max_chars=500)


# ---------------------------------------------------------------------------- Markdown, text, empty


def test_markdown_passes_through_normalised():
    data = read("apple-privacy.md")
    result = extract(data, filename="apple.md")
    assert result == Extracted(text=normalise_text(data.decode("utf-8")), format="markdown", charset="utf-8",
                               title="Apple Privacy Policy")
    assert result.text.startswith("Apple Privacy Policy\n====================\n\n### Updated July 30, 2025")
    assert "[contact us](https://www.apple.com/legal/privacy/en-ww/contact/)" in result.text


def test_plain_text_passes_through_normalised():
    raw = "Terms of Use\r\n\r\n\r\n\r\n1.\tYou agree.   \r\n"
    result = extract(raw.encode("utf-8"), filename="terms.txt")
    assert (result.text, result.format, result.title) == ("Terms of Use\n\n1. You agree.", "text", None)


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n ", b"\xef\xbb\xbf\n\n"])
def test_empty_input_is_an_empty_document(data):
    with pytest.raises(ExtractError, match="^empty document$"):
        extract(data, filename="empty.txt")


def test_html_with_nothing_but_scripts_is_an_empty_document():
    with pytest.raises(ExtractError, match="^empty document"):
        extract(b"<html><head><title>x</title></head><body><script>var a = 1;</script></body></html>")


def test_text_larger_than_max_chars_is_refused():
    with pytest.raises(ExtractError, match="too large"):
        extract(b"We collect data. " * 100, filename="p.txt", max_chars=1000)
