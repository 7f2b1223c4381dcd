"""A request id on every request, log record and error page, so an official's "编号" finds the traceback.

The id is set by :class:`RequestIdMiddleware` (outermost, so Django's own ``django.request`` error log
is written while it is set), kept in a context variable for the log records of that request
(:class:`RequestIdFilter`, also for threads of gunicorn's threaded workers) and sent back as the
``X-Request-ID`` header. An id a proxy already gave (``X-Request-ID``, letters, digits and dashes) is
kept, so the proxy's log and ours share it.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
_current: contextvars.ContextVar[str] = contextvars.ContextVar("zengshou_request_id", default="-")
_VALID = re.compile(r"[A-Za-z0-9-]{8,64}")


def current() -> str:
    """The id of the request being answered, ``-`` outside a request (CLI, background worker)."""
    return _current.get()


def new_id() -> str:
    return uuid.uuid4().hex[:12]


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (the formatters print it).

    Django logs an answer of 400 or more that a view returned (not raised) after the middleware has
    finished, with the request on the record: its id is taken from there.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        rid = _current.get()
        if rid == "-":
            rid = str(getattr(getattr(record, "request", None), "id", "-"))
        record.request_id = rid
        return True


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(HEADER, "")
        rid = given if _VALID.fullmatch(given) else new_id()
        request.id = rid  # type: ignore[attr-defined]
        token = _current.set(rid)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response.headers[HEADER] = rid
        return response
