"""Open Terms Archive: versions repositories read as dated versions of documents.

- ``repository`` — one versions repository (a checkout or a ``.bundle``): its documents, each
                   document's history (git commits → dated versions, extraction-only commits told apart)
- ``collection`` — a whole collection's histories, read in one pass
- ``mapping``    — OTA services → companies and levels (a mapping file), and the manifest made from it
- ``importer``   — histories recorded in the store (one document, or a whole collection on a runner)
"""

from .collection import DocumentHistory, collection_histories, select_documents
from .importer import ImportResult, import_collection, import_history
from .mapping import MappingError, OTAMapping, load_mapping, write_manifest
from .repository import (
    EVENT_PREFIXES,
    OTAError,
    OTAVersion,
    Skipped,
    classify_subject,
    history,
    list_documents,
    open_repo,
    version_at,
)

__all__ = [
    "EVENT_PREFIXES",
    "DocumentHistory",
    "ImportResult",
    "MappingError",
    "OTAError",
    "OTAMapping",
    "OTAVersion",
    "Skipped",
    "classify_subject",
    "collection_histories",
    "history",
    "import_collection",
    "import_history",
    "list_documents",
    "load_mapping",
    "open_repo",
    "select_documents",
    "version_at",
    "write_manifest",
]
