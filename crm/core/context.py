"""Who is acting, from where, in which request: carried to audit rows and logs."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    ip: str | None = None
    actor_id: int | None = None


_current: ContextVar[RequestContext | None] = ContextVar("crm_request_context", default=None)


def current_context() -> RequestContext | None:
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def bind_context(*, request_id: str | None = None, ip: str | None = None) -> Iterator[RequestContext]:
    ctx = RequestContext(request_id=request_id or new_request_id(), ip=ip)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        ctx = _current.get()
        record.request_id = ctx.request_id if ctx else "-"
        return True
