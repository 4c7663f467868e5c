"""Logging configured once per process, with the request id on every line."""

from __future__ import annotations

import logging
import re
import sys
import uuid

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
_configured = False


class RequestIdFilter(logging.Filter):
    """Stamp each record with the current request id, or ``-`` outside one."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


def current_request_id() -> str:
    """The id of the request being served, or ``-``."""
    if has_request_context():
        return str(g.get("request_id", "-"))
    return "-"


def configure_logging(level: str = "INFO") -> None:
    """Install one stderr handler on the ``buildatom`` logger (idempotent)."""
    global _configured
    package_logger = logging.getLogger("buildatom")
    package_logger.setLevel(level.upper())
    if _configured:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(RequestIdFilter())
    package_logger.addHandler(handler)
    package_logger.propagate = False
    _configured = True


def init_request_ids(app: Flask) -> None:
    """Give each request an id (the caller's ``X-Request-ID`` when sane)."""

    @app.before_request
    def assign_request_id() -> None:
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        valid = _VALID_REQUEST_ID.fullmatch(offered)
        g.request_id = offered if valid else uuid.uuid4().hex

    @app.after_request
    def echo_request_id(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = current_request_id()
        return response
