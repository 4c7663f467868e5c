"""The one validator behind both download endpoints.

A requested path is percent-decoded until it stops changing, then refused if it
holds a ``..`` segment, a backslash, ``#``, ``?``, a control character, an
absolute or scheme-prefixed form, or lies outside the endpoint's prefix. Only
keys that also appear in the export records are ever served.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from buildatom.errors import BadRequest

_MAX_DECODES = 8
_MAX_LENGTH = 1024
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def validated_download_key(raw: str, prefix: str) -> str:
    """Return ``raw`` as an object key under ``prefix`` or raise 400.

    Parameters
    ----------
    raw
        The ``file_path`` part of the URL, as routed.
    prefix
        The folder the endpoint serves, such as ``csv-exports/``.
    """
    key = _fully_decoded(raw)
    problem = _problem(key, prefix)
    if problem:
        raise BadRequest(
            f"file_path {raw[:200]!r} refused: {problem}",
            errors={"path": {"file_path": [problem]}},
        )
    return key


def _fully_decoded(raw: str) -> str:
    current = raw
    for _ in range(_MAX_DECODES):
        decoded = unquote(current)
        if decoded == current:
            return current
        current = decoded
    raise BadRequest(
        "file_path refused: still percent-encoded after repeated decoding",
        errors={"path": {"file_path": ["too deeply percent-encoded"]}},
    )


def _problem(key: str, prefix: str) -> str | None:
    segments = key.split("/")
    checks = [
        (len(key) > _MAX_LENGTH, f"longer than {_MAX_LENGTH} characters"),
        (bool(_CONTROL.search(key)), "contains a control character"),
        ("\\" in key, "contains a backslash"),
        ("#" in key or "?" in key, "contains '#' or '?'"),
        (key.startswith("/") or key.startswith("~"), "is an absolute path"),
        (bool(_SCHEME.match(key)), "has a scheme or drive prefix"),
        (any(s in {"..", "."} for s in segments), "contains a '.' or '..' segment"),
        ("" in segments[:-1] or key.endswith("/"), "contains an empty segment"),
        (not key.startswith(prefix), f"is not under {prefix!r}"),
    ]
    return next((message for failed, message in checks if failed), None)
