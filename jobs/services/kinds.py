"""Job kinds, declared once by the app that owns them:

    @job_kind(Job.Kind.TASK_EXPAND, subject="task", links=for_task, check=refuse_subtask)
    def task_expand(run): ...

and started the one way, `job_start(Job.Kind.TASK_EXPAND, subject=task, owner=..., count=3)`.
"""

from collections.abc import Callable
from dataclasses import dataclass


def no_links(subject) -> dict:
    return {}


@dataclass(frozen=True)
class KindSpec:
    handler: Callable
    # The name under which the job's `input` holds the id of the object it is for.
    subject: str
    # The job's own links to that object: `project`, `task`, `chat_session` (Job's fields).
    links: Callable[[object], dict] = no_links
    # `check(subject, **arguments)` refuses a request before any job exists.
    check: Callable[..., None] | None = None
    # `prepare(job, subject, **prepared arguments)` runs in the job's transaction: it stores
    # what the user sent (linked to the job) and may return more `input` for the handler.
    prepare: Callable[..., dict | None] | None = None
    # The arguments `prepare` stores: they name the request but are not the job's input.
    prepared: tuple[str, ...] = ()
    # What the handler receives: JobRun, or a subclass that offers more (model calls).
    run_class: type | None = None
    # The Celery queue its messages go to (workers serve `jobs` and `webhooks` by default).
    queue: str = "jobs"


KINDS: dict[str, KindSpec] = {}


def job_kind(kind: str, *, subject: str, **spec):
    """Register the decorated function as the handler of jobs of `kind` (see KindSpec)."""

    def register(handler):
        KINDS[kind] = KindSpec(handler=handler, subject=subject, **spec)
        return handler

    return register
