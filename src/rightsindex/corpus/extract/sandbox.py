"""Parse an untrusted PDF or HTML document in a child process with hard limits on memory and time.

PDFium, lxml (under trafilatura) and lexbor are C libraries: a call into them cannot be
interrupted, and a 6.7 KB PDF of nested form XObjects made PDFium grow past 3 GB and kill the
process that called it (and with ``--workers 2`` the Dask workers, one after the other). So the
formats whose parsers are libraries of that kind are parsed in a child process:

- its address space is limited (``RLIMIT_AS``) to :func:`limits.document_memory_bytes` (768 MiB,
  ``RIGHTSINDEX_DOCUMENT_MEMORY_MIB``): an allocation past it fails inside the child, which
  answers "over its memory limit" or dies; either way the parent refuses that document by name;
- it gets the document's remaining time budget (``budget``); the cooperative checks run inside
  it as before, and the parent kills it when the budget (plus a second of grace) is spent, so a
  parse that never returns to Python is stopped too ("over its time budget").

Markdown and plain text need no child: their extraction is linear and checks the budget.

The child is started once per process (on first use, about a second), reused for the next
documents, and replaced after any failure. Children talk to the parent over pipes with
length-prefixed JSON (never pickle: a parser exploited by a document must not be able to run code
in the parent). A child exits when its parent goes away (its input closes).

    ex = extract_bounded(data, filename="policy.pdf")   # Extracted, or ExtractError naming the limit
"""

from __future__ import annotations

import atexit
import json
import os
import selectors
import signal
import struct
import subprocess
import sys
import threading
import time

from ..limits import (
    DOCUMENT_MEMORY_ENV,
    DOCUMENT_SECONDS_ENV,
    MIB,
    document_memory_bytes,
    document_seconds,
)
from .result import Extracted, ExtractError

__all__ = ["MemoryExceeded", "SANDBOXED_FORMATS", "extract_bounded", "shutdown"]

#: formats parsed in the child (their parsers are C libraries that cannot be interrupted)
SANDBOXED_FORMATS = ("pdf", "html")
_GRACE = 1.0  # seconds past the budget before the parent kills the child
_IDLE = 4  # children kept for reuse per process
_HEADER = struct.Struct("!Q")
_READY = b"R"
_START_SECONDS = 120.0  # a child's imports, on a loaded machine


class MemoryExceeded(ExtractError):
    """A document whose parsing needed more memory than a document may use."""


class _ChildGone(Exception):
    """The child ended while working on a document."""


class _NotSent(_ChildGone):
    """The child had ended before the document reached it."""


def _over_time(budget: float, parser: str, took: float) -> ExtractError:
    from .budget import BudgetExceeded

    return BudgetExceeded(
        f"document over its time budget: more than {budget:g} s to extract (the {parser} was stopped after"
        f" {took:.1f} s; raise {DOCUMENT_SECONDS_ENV} to allow more)"
    )


def _budget_left() -> tuple[float, float]:
    """(seconds left, seconds in all) of the document's budget (the default one outside a budget)."""
    from .budget import remaining

    left = remaining()
    return (document_seconds(),) * 2 if left is None else left


class _Child:
    """One parser process."""

    def __init__(self) -> None:
        # the child imports this very package, installed or not (a source tree on sys.path)
        package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
        path = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p)
        env = {**os.environ, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1"}
        code = "from rightsindex.corpus.extract.sandbox import _serve; _serve()"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
            start_new_session=True,  # Ctrl-C reaches the parent, which then ends the child
        )
        self.owner = os.getpid()

    def wait_ready(self, seconds: float) -> None:
        """Wait for the child's imports (its first byte); ExtractError when it does not come up."""
        try:
            if self._read(1, time.monotonic() + seconds) == _READY:
                return
        except (TimeoutError, _ChildGone):
            pass
        self.kill()
        raise ExtractError(
            f"the document parser process did not start within {seconds:g} s ({_signal_name(self.proc.returncode)})"
        )

    def alive(self) -> bool:
        return self.proc.poll() is None and self.owner == os.getpid()

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.kill()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass

    def ask(self, request: dict, data: bytes, deadline: float) -> dict:
        head = json.dumps(request).encode()
        try:
            self.proc.stdin.write(_HEADER.pack(len(head)) + head + _HEADER.pack(len(data)))
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            raise _NotSent from None
        size = _HEADER.unpack(self._read(_HEADER.size, deadline))[0]
        return json.loads(self._read(size, deadline))

    def _read(self, n: int, deadline: float) -> bytes:
        fd = self.proc.stdout.fileno()
        parts: list[bytes] = []
        got = 0
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while got < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                if not sel.select(timeout=left):
                    continue
                chunk = os.read(fd, min(n - got, 1 << 20))
                if not chunk:
                    raise _ChildGone
                parts.append(chunk)
                got += len(chunk)
        return b"".join(parts)


_lock = threading.Lock()
_idle: list[_Child] = []


def _take() -> _Child:
    """An idle child, or a new one; the time a new one takes to start is not the document's."""
    from .budget import extend

    with _lock:
        while _idle:
            child = _idle.pop()
            if child.alive():
                return child
            child.kill()
    started = time.monotonic()
    child = _Child()
    child.wait_ready(_START_SECONDS)
    extend(time.monotonic() - started)
    return child


def _give_back(child: _Child) -> None:
    with _lock:
        if child.alive() and len(_idle) < _IDLE:
            _idle.append(child)
            return
    child.kill()


def shutdown() -> None:
    """End this process's idle parser children (also done at exit)."""
    with _lock:
        children, _idle[:] = list(_idle), []
    for child in children:
        if child.owner == os.getpid():
            child.kill()


atexit.register(shutdown)


def _signal_name(returncode: int | None) -> str:
    if returncode is None or returncode >= 0:
        return f"exit status {returncode}"
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def extract_bounded(
    data: bytes,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    declared_charset: str | None = None,
    max_chars: int | None = None,
) -> Extracted:
    """:func:`extract`, with PDF and HTML parsed in a child process limited in memory and time.

    Raises :class:`ExtractError` like ``extract``; :class:`MemoryExceeded` when the parser needed
    more than the document memory limit; ``BudgetExceeded`` when it ran past the document's time
    budget (the child is killed)."""
    from ..limits import MAX_DOCUMENT_CHARS
    from .budget import BudgetExceeded
    from .dispatch import extract
    from .sniff import sniff_format

    max_chars = MAX_DOCUMENT_CHARS if max_chars is None else max_chars
    kwargs = {"filename": filename, "content_type": content_type, "declared_charset": declared_charset, "max_chars": max_chars}
    if not data or not data.strip():
        raise ExtractError("empty document")
    fmt = sniff_format(data, filename=filename, content_type=content_type)
    if fmt not in SANDBOXED_FORMATS:
        return extract(data, **kwargs)
    memory = document_memory_bytes()
    parser = "PDF parser" if fmt == "pdf" else "HTML parser"
    for attempt in (1, 2):
        child = _take()
        seconds, budget = _budget_left()  # after a new child's start, which is not the document's time
        started = time.monotonic()
        try:
            answer = child.ask({**kwargs, "seconds": max(seconds, 0.001), "memory": memory}, data, started + max(seconds, 0) + _GRACE)
        except _NotSent:  # a child that had ended while idle: once more with a fresh one
            child.kill()
            if attempt == 1:
                continue
            raise ExtractError(f"the {parser} process could not be reached ({_signal_name(child.proc.returncode)})") from None
        except TimeoutError:
            child.kill()
            raise _over_time(budget, parser, time.monotonic() - started) from None
        except _ChildGone:
            child.kill()
            code = child.proc.returncode
            what = _signal_name(code)
            if code is not None and -code == signal.SIGXCPU:
                raise _over_time(budget, parser, time.monotonic() - started) from None
            if code is not None and -code in (signal.SIGSEGV, signal.SIGBUS, signal.SIGILL):
                raise ExtractError(f"the {parser} crashed on this document ({what})") from None
            raise MemoryExceeded(
                f"document over its memory limit: the {parser} needed more than {memory // MIB:,} MiB and was stopped"
                f" ({what}; raise {DOCUMENT_MEMORY_ENV} to allow more)"
            ) from None
        break
    if answer.get("ok"):
        _give_back(child)
        return Extracted(
            text=answer["text"], format=answer["format"], charset=answer.get("charset"), title=answer.get("title"),
            pages=answer.get("pages"),
        )
    kind, message = answer.get("kind"), answer.get("message") or "cannot read this document"
    if kind == "memory":
        child.kill()  # a child that ran out of memory is not trusted with the next document
        raise MemoryExceeded(
            f"document over its memory limit: the {parser} needed more than {memory // MIB:,} MiB"
            f" (raise {DOCUMENT_MEMORY_ENV} to allow more)"
        )
    _give_back(child)
    if kind == "budget":
        raise BudgetExceeded(message)
    if kind == "error":
        raise ExtractError(f"the {parser} failed on this document: {message}")
    raise ExtractError(message)


# ------------------------------------------------------------------------------------------ child


def _read_exact(fh, n: int) -> bytes | None:
    parts, got = [], 0
    while got < n:
        chunk = fh.read(n - got)
        if not chunk:
            return None
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _serve() -> None:
    """The child's loop: read a request, extract, answer; end when the parent closes the pipe."""
    import resource

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing a library prints may corrupt the answers
    # the libraries first, so that the limit bounds what a document costs, not what importing costs
    import charset_normalizer  # noqa: F401
    import pypdfium2  # noqa: F401
    import selectolax.lexbor  # noqa: F401
    import trafilatura  # noqa: F401

    from .budget import BudgetExceeded, document_budget
    from .dispatch import extract

    stdout.write(_READY)
    stdout.flush()
    limit_set = None
    while True:
        raw = _read_exact(stdin, _HEADER.size)
        if raw is None:
            return
        head = _read_exact(stdin, _HEADER.unpack(raw)[0])
        raw = _read_exact(stdin, _HEADER.size) if head is not None else None
        data = _read_exact(stdin, _HEADER.unpack(raw)[0]) if raw is not None else None
        if data is None:
            return
        request = json.loads(head)
        memory = int(request.pop("memory"))
        if memory != limit_set:
            resource.setrlimit(resource.RLIMIT_AS, (memory, resource.getrlimit(resource.RLIMIT_AS)[1]))
            limit_set = memory
        seconds = float(request.pop("seconds"))
        # a backstop should the parent be gone: the kernel ends a child that computes past its budget
        used = resource.getrusage(resource.RUSAGE_SELF)
        cpu = int(used.ru_utime + used.ru_stime + seconds + 2 * _GRACE) + 1
        hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
        resource.setrlimit(resource.RLIMIT_CPU, (cpu if hard == resource.RLIM_INFINITY else min(cpu, hard), hard))
        try:
            with document_budget(seconds):
                ex = extract(data, **request)
            answer = {"ok": True, "text": ex.text, "format": ex.format, "charset": ex.charset, "title": ex.title, "pages": ex.pages}
        except MemoryError:
            answer = {"ok": False, "kind": "memory"}
        except BudgetExceeded as exc:
            answer = {"ok": False, "kind": "budget", "message": str(exc)}
        except ExtractError as exc:
            answer = {"ok": False, "kind": "extract", "message": str(exc)}
        except RecursionError:
            answer = {"ok": False, "kind": "extract", "message": "document nested too deeply to read"}
        except Exception as exc:  # a library's bug on odd input: this document is refused, not the run
            answer = {"ok": False, "kind": "error", "message": f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"}
        del data
        try:
            body = json.dumps(answer).encode()
        except MemoryError:
            body = json.dumps({"ok": False, "kind": "memory"}).encode()
        stdout.write(_HEADER.pack(len(body)) + body)
        stdout.flush()
        if answer.get("kind") == "memory":
            return
