"""Corpus: manifests, fetching, extraction, language, segmentation, versions and diffs.

Grades nothing. Modules:

- ``manifest``  — parse and validate the manifest contract (DESIGN.md)
- ``fetch``     — HTTP fetching with an SSRF guard, size caps, robots.txt, conditional requests
- ``extract``   — bytes → normalised text (HTML, PDF, Markdown, plain text; encodings)
- ``segment``   — text → passages (heading path, offsets) and sentences; language; Chinese tokens
- ``versions``  — recording versions in the store, diffs between versions
- ``ota``       — Open Terms Archive versions repositories (git history → dated versions)
- ``ota_collection`` — a whole OTA collection's histories, read in one pass
- ``ota_mapping``    — OTA services → companies and levels (mapping file), and the manifest made from it
- ``ota_import``     — OTA histories recorded in the store (one document or a whole collection)
"""
