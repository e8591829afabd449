"""What one request reads once: a memo that lives as long as the request (the middleware opens
it), for values many parts of a request ask for, such as a system setting."""

import contextvars
from contextlib import contextmanager

_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar("request_memo", default=None)


@contextmanager
def request_scope():
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def request_memo() -> dict | None:
    """The request's memo; None outside a request (a job, a command), where nothing is kept."""
    return _memo.get()
