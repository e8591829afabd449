"""Job kinds, declared once by the app that owns them, each a member of a TextChoices of its
own (its value is the job's `kind`, its label the kind's name):

    @job_kind(BoardJob.TASK_EXPAND, subject="task", check=refuse_subtask)
    def task_expand(run): ...

and started the one way, `job_start(BoardJob.TASK_EXPAND, subject=task, owner=..., count=3)`.
The engine knows no kind itself: `Job.kind`'s choices are those declared (`kind_choices`).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Choices


@dataclass(frozen=True)
class KindSpec:
    handler: Callable
    # What the kind is called (the label of its choice).
    label: str
    # The name under which the job's `input` holds the id of the object it is for.
    subject: str
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
    # What its `result` holds, as OpenAPI properties (the schema of Job.result is theirs, merged).
    result: dict = field(default_factory=dict)


KINDS: dict[str, KindSpec] = {}
# The properties of every kind's result, as the kinds declare them (the schema reads it).
RESULT_PROPERTIES: dict[str, dict] = {}


def kind_choices() -> list[tuple[str, str]]:
    """`Job.kind`'s choices: every kind the apps declare, by value."""
    return sorted((kind, spec.label) for kind, spec in KINDS.items())


def job_kind(kind: Choices, *, subject: str, **spec):
    """Register the decorated function as the handler of jobs of `kind` (see KindSpec)."""

    def register(handler):
        KINDS[kind.value] = KindSpec(handler=handler, label=str(kind.label), subject=subject, **spec)
        RESULT_PROPERTIES.update(KINDS[kind.value].result)
        return handler

    return register


def schema_ref(component: str, description: str) -> dict:
    """A result property that is one of the API's objects (a schema component)."""
    return {"allOf": [{"$ref": f"#/components/schemas/{component}"}], "description": description}


def schema_list(component: str, description: str) -> dict:
    """A result property that is a list of the API's objects."""
    return {
        "type": "array",
        "items": {"$ref": f"#/components/schemas/{component}"},
        "description": description,
    }
