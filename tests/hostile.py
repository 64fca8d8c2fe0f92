"""Recipes for hostile and pathological documents, generated at test time so that the repository
stays small (used by tests/test_hostile.py and benchmarks/hostile.py). Deterministic.

Each recipe returns bytes; sizes are parameters so tests can use small ones and the benchmark the
sizes of issue 13 (551 KB paragraph, 160,000 unclosed ``<div>``, …).
"""

from __future__ import annotations

import gzip
import io
import random
import zipfile

FIXTURES = __import__("pathlib").Path(__file__).resolve().parent / "fixtures" / "hostile"

_SUBJECTS = ["We", "Our partners", "The service", "Your account", "This policy", "Our affiliates", "Vendors", "The company"]
_VERBS = ["collect", "retain", "share", "process", "disclose", "delete", "encrypt", "review", "transfer", "log"]
_OBJECTS = ["your location", "device identifiers", "contact lists", "payment records", "usage data", "voice recordings",
            "browsing history", "support messages", "account details", "advertising identifiers"]
_TAILS = ["for security", "when the law requires it", "to improve the service", "for up to two years",
          "with your consent", "for advertising", "in other countries", "on request", "after you close your account"]


def unique_sentences(chars: int, seed: int = 13) -> bytes:
    """One paragraph of distinct English sentences, about ``chars`` characters (no line breaks)."""
    rng = random.Random(seed)
    out: list[str] = []
    size = i = 0
    while size < chars:
        s = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_TAILS)} (clause {i})."
        out.append(s)
        size += len(s) + 1
        i += 1
    return ("# Privacy policy\n\n" + " ".join(out) + "\n").encode()


def dense_periods(n: int) -> bytes:
    """``"a. " * n``: a sentence end every three characters."""
    return ("a. " * n).encode()


def unclosed_divs(n: int) -> bytes:
    """``n`` unclosed ``<div>`` (5 bytes each) around some text."""
    return ("<html><head><title>Deep</title></head><body><p>Privacy policy before the pile.</p>"
            + "<div>x" * n + "</body></html>").encode()


def div_span_b(n: int) -> bytes:
    """``n`` times ``<div><span><b>`` unclosed: depth and open formatting elements both grow."""
    return ("<html><body><p>Privacy policy before the pile.</p>" + "<div><span><b>q" * n + "</body></html>").encode()


def many_paragraphs(n: int) -> bytes:
    """A flat page of ``n`` short paragraphs (a wide rather than deep page)."""
    return ("<html><body><main>" + "".join(f"<p>Paragraph {i} says we keep data {i % 97} days.</p>" for i in range(n))
            + "</main></body></html>").encode()


def gzip_bomb(mib: int = 200) -> bytes:
    """gzip of ``mib`` MiB of zeros (about 200 KB compressed)."""
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9) as fh:
        block = b"\0" * 2**20
        for _ in range(mib):
            fh.write(block)
    return buf.getvalue()


def zip_bomb(mib: int = 200) -> bytes:
    """A ZIP holding ``mib`` MiB of spaces named policy.html."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("policy.html", "w") as fh:
            block = b" " * 2**20
            for _ in range(mib):
                fh.write(block)
    return buf.getvalue()


def good_policy(name: str = "Example") -> bytes:
    return (f"# {name} Privacy Policy\n\nWe collect your name and email address when you sign up. We share data with "
            "law enforcement only when the law requires it.\n\n## Your rights\n\nYou can delete your account at any time.\n").encode()


# -- issue 20: parsers that are C libraries (PDFium, lxml, lexbor) -------------------------------------


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF of ``objects`` (object 1 the catalog) with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
_FIRST_PAGE_TEXT = b"BT /F1 12 Tf 72 720 Td (Privacy policy) Tj ET\n"


def _one_page(contents: bytes, xobject: bytes = b"") -> list[bytes]:
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >>"
        + (b" /XObject << /X0 6 0 R >>" if xobject else b"") + b" >> /Contents 5 0 R >>",
        _FONT,
        contents,
    ]


def nested_forms_pdf(depth: int = 12, fanout: int = 8) -> bytes:
    """A one-page PDF (about 5 KB) whose page draws a form XObject that draws the next one ``fanout``
    times, ``depth`` levels deep: ``fanout ** depth`` text objects for PDFium to build (past 3 GB)."""
    objects = _one_page(_stream(_FIRST_PAGE_TEXT + b"/X0 Do"), xobject=b"yes")
    for level in range(depth):
        me = 6 + level
        if level < depth - 1:
            content = b" ".join(b"q 1 0 0 1 %d 0 cm /X Do Q" % i for i in range(fanout))
            resources = b"<< /XObject << /X %d 0 R >> /Font << /F1 4 0 R >> >>" % (me + 1)
        else:
            content, resources = b"BT /F1 1 Tf (leaf text) Tj ET", b"<< /Font << /F1 4 0 R >> >>"
        objects.append(_stream(content, b" /Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources " + resources))
    return _pdf(objects)


def content_stream_pdf(mib: int = 1024) -> bytes:
    """A one-page PDF whose compressed content stream expands to ``mib`` MiB of text-drawing
    operators (1 GiB: a 2.6 MB file)."""
    import zlib

    op = b"BT /F1 1 Tf (a) Tj ET\n"
    compressor = zlib.compressobj(9)
    block = op * (2**20 // len(op))
    data = compressor.compress(_FIRST_PAGE_TEXT) + b"".join(compressor.compress(block) for _ in range(mib)) + compressor.flush()
    return _pdf(_one_page(_stream(data, b" /Filter /FlateDecode")))


def span_table(rows: int = 1000, span: int = 1000) -> bytes:
    """A table of ``rows`` rows whose cells span ``span`` columns and ``60 * span`` rows (1,000 rows:
    about 95 KB); trafilatura's table layout pads and fills spanned cells one by one."""
    cells = "".join(
        f'<tr><td rowspan="{span * 60}" colspan="{span}">r{i}</td><td colspan="{span}">We keep data {i} days.</td></tr>'
        for i in range(rows)
    )
    return f"<html><body><main><h1>Privacy</h1><p>We collect data.</p><table>{cells}</table></main></body></html>".encode()


def many_attributes(n: int = 380_000) -> bytes:
    """One ``<p>`` with ``n`` attributes (380,000: 4.4 MB); parsers check each for a duplicate."""
    attributes = " ".join(f'a{i}="x"' for i in range(n))
    return f"<html><body><main><h1>Privacy</h1><p {attributes}>We collect data.</p></main></body></html>".encode()


def reworded_versions(chars: int, seed: int = 7) -> tuple[str, str]:
    """Two versions of a policy of about ``chars`` characters each, every paragraph of the second a
    re-wording of the first's (some words replaced, some clauses added), from one small vocabulary:
    every passage is changed and resembles every other (the worst case for pairing passages)."""
    rng = random.Random(seed)
    old, new = [], []
    size = i = 0
    while size < chars:
        sentences = [f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_TAILS)}." for _ in range(4)]
        paragraph = " ".join(sentences)
        words = paragraph.split(" ")
        for _ in range(3):
            k = rng.randrange(len(words))
            words[k] = rng.choice(_VERBS)
        reworded = " ".join(words) + f" {rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} (note {i})."
        old.append(paragraph + f" (paragraph {i})")
        new.append(reworded)
        size += len(paragraph) + 2
        i += 1
    return "\n\n".join(old) + "\n", "\n\n".join(new) + "\n"


# -- issue 20: Open Terms Archive repositories built quickly (git fast-import) -------------------------


def ota_repository(root, commits, *, odd=()) -> None:
    """An OTA-shaped git repository at ``root`` from ``commits``: (path, text or None to delete,
    subject, Unix time) in order, written by ``git fast-import`` (thousands a second); ``odd``:
    (path, text, subject, raw author date) appended as hand-made commit objects, for dates git
    itself refuses to write (``1600000000 +9999``, ``not-a-date``)."""
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    run = lambda *a, **k: subprocess.run(["git", *a], cwd=root, env=env, check=True, capture_output=True, **k)  # noqa: E731
    root.mkdir(parents=True, exist_ok=True)
    run("init", "--quiet", "-b", "main")
    proc = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=root, env=env, stdin=subprocess.PIPE)

    def quoted(path: str) -> bytes:
        if path.isascii() and path.isprintable() and '"' not in path:
            return path.encode()
        return b'"' + "".join(chr(b) if 32 <= b < 127 and chr(b) not in '"\\' else f"\\{b:03o}" for b in path.encode()).encode() + b'"'

    for i, (path, text, subject, when) in enumerate(commits):
        message = subject.encode()
        out = [b"commit refs/heads/main\n", b"author A <a@example.org> %d +0000\n" % when, b"committer A <a@example.org> %d +0000\n" % when,
               b"data %d\n" % len(message), message, b"\n"]
        if text is None:
            out.append(b"D " + quoted(path) + b"\n")
        else:
            data = text if isinstance(text, bytes) else text.encode()
            out += [b"M 100644 inline " + quoted(path) + b"\n", b"data %d\n" % len(data), data, b"\n"]
        proc.stdin.write(b"".join(out))
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError("git fast-import failed")
    run("reset", "--quiet", "--hard", "main")
    for path, text, subject, raw_date in odd:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, "utf-8")
        run("add", "-A")
        tree = run("write-tree", text=True).stdout.strip()
        parent = run("rev-parse", "HEAD", text=True).stdout.strip()
        body = (f"tree {tree}\nparent {parent}\nauthor A <a@example.org> {raw_date}\ncommitter A <a@example.org> {raw_date}\n\n"
                f"{subject}\n")
        sha = run("hash-object", "-t", "commit", "-w", "--literally", "--stdin", input=body, text=True).stdout.strip()
        run("update-ref", "HEAD", sha)


def ota_policy(n: int, size: int = 600) -> str:
    """The ``n``-th version of a plausible privacy policy of about ``size`` characters."""
    base = "We collect your name, email address and device identifiers to run the service. "
    return f"# Privacy Policy\n\nVersion {n}.\n\n" + base * max(1, size // len(base)) + f"\n\nChanged in version {n}.\n"


def wait_healthy(base: str, tries: int = 600) -> None:
    """Wait until the web app at ``base`` answers ``/healthz`` (at most ``tries`` × 0.1 s of refusals)."""
    import time

    import httpx

    for _ in range(tries):
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
