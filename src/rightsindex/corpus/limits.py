"""Input limits: every number that bounds what one input may cost, in one place.

Policies, manifests, mapping files, Open Terms Archive repositories and web requests come from
elsewhere. Each limit below protects the machine (memory, time, database rows) or the people who
read our output; every entry point (``corpus add``, ``assess``, ``watch``, ``corpus import-ota``,
``corpus ota-manifest``, the web app) takes its limits from here, and the README's "What is
refused, and why" lists them. A refusal is a one-line error naming the input and the limit; the
rest of the run goes on.

Two limits can be changed from the environment (for a slow machine or a huge real document):
``RIGHTSINDEX_DOCUMENT_SECONDS`` (:func:`document_seconds`) and ``RIGHTSINDEX_DOCUMENT_MEMORY_MIB``
(:func:`document_memory_bytes`). The others are constants; a caller may pass a smaller one.
"""

from __future__ import annotations

import os

__all__ = [
    "DOCUMENT_MEMORY_ENV",
    "DOCUMENT_SECONDS_ENV",
    "MAX_ALIAS_NODES",
    "MAX_COLLECTION_COMMITS",
    "MAX_COMMIT_SUBJECT_CHARS",
    "MAX_DIFF_CHARS",
    "MAX_DIFF_SECONDS",
    "MAX_DOCUMENT_BYTES",
    "MAX_DOCUMENT_CHARS",
    "MAX_DOCUMENT_COMMITS",
    "MAX_DOCUMENT_MEMORY_BYTES",
    "MAX_DOCUMENT_SECONDS",
    "MAX_DOWNLOAD_SECONDS",
    "MAX_HISTORY_BYTES",
    "MAX_HTML_ATTRIBUTES",
    "MAX_HTML_DEPTH",
    "MAX_HTML_FORMATTING",
    "MAX_ID_CHARS",
    "MAX_KEY_CHARS",
    "MAX_LABEL_CHARS",
    "MAX_LANGUAGE_CHARS",
    "MAX_MANIFEST_BYTES",
    "MAX_META_ITEMS",
    "MAX_META_TEXT",
    "MAX_META_TOTAL",
    "MAX_NAME_CHARS",
    "MAX_PASSAGES",
    "MAX_REQUEST_BYTES",
    "MAX_TABLE_CELLS",
    "MAX_TITLE_CHARS",
    "MAX_TRAFILATURA_TAGS",
    "MAX_YAML_BYTES",
    "MAX_YAML_NODES",
    "MIB",
    "document_memory_bytes",
    "document_seconds",
]

MIB = 2**20

# -- one document (a file, a response, an Open Terms Archive version) -------------------------------
#: bytes of a file or an HTTP response, also after decompression, and of one OTA version's blob
MAX_DOCUMENT_BYTES = 20 * MIB
#: characters of one version's text
MAX_DOCUMENT_CHARS = 5_000_000
#: passages of one version (a database row each; real policies have hundreds)
MAX_PASSAGES = 50_000
#: seconds to extract and segment one document (``RIGHTSINDEX_DOCUMENT_SECONDS``)
MAX_DOCUMENT_SECONDS = 30.0
DOCUMENT_SECONDS_ENV = "RIGHTSINDEX_DOCUMENT_SECONDS"
#: address space of the process that parses one PDF or HTML document (``RIGHTSINDEX_DOCUMENT_MEMORY_MIB``)
MAX_DOCUMENT_MEMORY_BYTES = 768 * MIB
DOCUMENT_MEMORY_ENV = "RIGHTSINDEX_DOCUMENT_MEMORY_MIB"
#: seconds to download one response (a slow trickle is cut off)
MAX_DOWNLOAD_SECONDS = 300.0

# -- HTML, before any parser sees it -----------------------------------------------------------------
#: tags nested deeper than this are dropped (their text kept): parsers are superlinear in depth
MAX_HTML_DEPTH = 512
#: open formatting elements (<b>, <span>, …) reopened by the parser at once
MAX_HTML_FORMATTING = 64
#: pages with more start tags than this skip trafilatura (superlinear in elements)
MAX_TRAFILATURA_TAGS = 25_000
#: attributes kept on one tag (the parsers check duplicates in quadratic time); more are dropped
MAX_HTML_ATTRIBUTES = 256
#: table cells trafilatura's table layout may create on one page (rows x widest row, rowspan x colspan,
#: spans counted up to 100 as trafilatura does); a page with more is converted by our converter alone
MAX_TABLE_CELLS = 100_000

# -- manifests, mapping files and other YAML ---------------------------------------------------------
MAX_MANIFEST_BYTES = 16 * MIB
#: any other YAML or JSON file the program reads (an OTA mapping file)
MAX_YAML_BYTES = 16 * MIB
#: nodes one YAML alias may stand for; a larger alias is refused where it is used
MAX_ALIAS_NODES = 10_000
#: nodes a whole YAML file may stand for once its aliases are expanded
MAX_YAML_NODES = 1_000_000
#: a document's other (metadata) fields: text length, list length, characters in all
MAX_META_TEXT = 10_000
MAX_META_ITEMS = 100
MAX_META_TOTAL = 100_000

# -- ids and names at the door (manifest, OTA folder names); the database's column sizes ------------
#: a company or service id (also an OTA service name or terms type used as one)
MAX_ID_CHARS = 200
#: a document key: a manifest path or URL, ``ota:Service/Terms type``
MAX_KEY_CHARS = 1_000
#: a company name
MAX_NAME_CHARS = 500
#: a document title
MAX_TITLE_CHARS = 1_000
#: an edition label, a document type, a service kind
MAX_LABEL_CHARS = 100
#: a language code (``en``, ``zh-Hans``)
MAX_LANGUAGE_CHARS = 10

# -- Open Terms Archive repositories ----------------------------------------------------------------
#: commits that touched one document (the largest real history, contrib's Xanga privacy policy, has 2,484)
MAX_DOCUMENT_COMMITS = 10_000
#: commits of a whole collection read at once (contrib-versions has 42,632)
MAX_COLLECTION_COMMITS = 200_000
#: characters of a commit subject kept (OTA's own subjects are under 100)
MAX_COMMIT_SUBJECT_CHARS = 300
#: bytes of all the versions of one document read at once (import it in parts with --since)
MAX_HISTORY_BYTES = 256 * MIB

# -- diffs -------------------------------------------------------------------------------------------
#: characters of the two versions together that one diff may compare
MAX_DIFF_CHARS = 4_000_000
#: seconds one diff may take; over it, the answer is "too large to diff"
MAX_DIFF_SECONDS = 20.0

# -- web ---------------------------------------------------------------------------------------------
#: bytes of one request body (forms, JSON); a larger one is answered 413 before it is read
MAX_REQUEST_BYTES = 1 * MIB


def _positive(env: str, default: float) -> float:
    raw = os.environ.get(env, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        return default
    return value if value > 0 else default


def document_seconds() -> float:
    """Seconds per document: ``RIGHTSINDEX_DOCUMENT_SECONDS`` when set to a positive number, else 30."""
    return _positive(DOCUMENT_SECONDS_ENV, MAX_DOCUMENT_SECONDS)


def document_memory_bytes() -> int:
    """Address space of a document's parser process: ``RIGHTSINDEX_DOCUMENT_MEMORY_MIB`` (MiB) when
    set to a positive number, else 768 MiB."""
    return int(_positive(DOCUMENT_MEMORY_ENV, MAX_DOCUMENT_MEMORY_BYTES / MIB) * MIB)
