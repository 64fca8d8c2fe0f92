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
