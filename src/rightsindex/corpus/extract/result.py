"""What extraction gives back (:class:`Extracted`) and how it refuses (:class:`ExtractError`,
with a message meant for a person)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Extracted:
    text: str  # normalised text (see normalise_text)
    format: str  # "html" | "pdf" | "markdown" | "text"
    charset: str | None  # charset used to decode (None for pdf)
    title: str | None  # document title when found (HTML <title>/h1, PDF metadata)
    pages: int | None = None  # PDFs


class ExtractError(Exception):
    """The bytes cannot be turned into text; the message says why, for a person."""
