"""Corpus: manifests, fetching, extraction, language, segmentation, versions and diffs.

Grades nothing. Modules:

- ``limits``    — every input limit in one place (bytes, characters, passages, commits, ids, time,
                  memory, YAML, diffs, web request bodies)
- ``manifest``  — parse and validate the manifest contract (DESIGN.md)
- ``fetch``     — HTTP fetching with an SSRF guard, size caps, robots.txt, conditional requests
- ``extract/``  — bytes → normalised text (HTML, PDF, Markdown, plain text; encodings) under one
                  time and passage budget per document
- ``segment``   — text → passages (heading path, offsets) and sentences; language; Chinese tokens
- ``versions``  — recording versions in the store, versions in force on a date, diffs between versions
- ``ingest``    — a manifest's documents read, extracted, segmented and recorded (a task per document)
- ``ota/``      — Open Terms Archive: versions repositories (git history → dated versions), whole
                  collections, the mapping of services to companies, and imports into the store
"""

from .extract import ExtractError, Extracted, normalise_text
from .fetch import FetchError, Fetcher
from .ingest import IngestReport, ingest_manifest
from .manifest import CompanySpec, DocumentSpec, Manifest, ManifestError, ServiceSpec, load_manifest
from .segment import Passage, detect_language
from .versions import current_version, diff_versions, record_version, version_in_force

__all__ = [
    "CompanySpec",
    "DocumentSpec",
    "ExtractError",
    "Extracted",
    "FetchError",
    "Fetcher",
    "IngestReport",
    "Manifest",
    "ManifestError",
    "Passage",
    "ServiceSpec",
    "current_version",
    "detect_language",
    "diff_versions",
    "ingest_manifest",
    "load_manifest",
    "normalise_text",
    "record_version",
    "version_in_force",
]
