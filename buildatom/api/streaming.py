"""Helpers for views that answer with a file instead of JSON."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote


def file_response(content_type: str) -> dict[str, Any]:
    """OpenAPI description of a binary file response."""
    return {
        "description": "The file, as an attachment",
        "content": {content_type: {"schema": {"type": "string", "format": "binary"}}},
    }


def attachment(filename: str, size: int | None = None) -> dict[str, str]:
    """``Content-Disposition`` (and length) headers for a download."""
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in filename)
    headers = {
        "Content-Disposition": (
            f"attachment; filename=\"{safe}\"; filename*=UTF-8''{quote(filename)}"
        )
    }
    if size is not None:
        headers["Content-Length"] = str(size)
    return headers
