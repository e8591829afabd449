"""Starting jobs: `job_start` is the one way, for every kind (see `kinds`)."""

from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction

from core.exceptions import Conflict
from jobs.kinds import KINDS
from jobs.models import Job, JobEvent
from jobs.services.dispatch import dispatch
from jobs.services.idempotency import replayed, request_digest
from jobs.signals import job_submitting


def job_start(kind: str, *, owner, subject, ai_model=None, idempotency_key: str = "", **arguments) -> Job:
    """Start a job of `kind` for `subject` (the object it is about: an interview, a task, a
    session...), with the `arguments` its kind takes, and hand it to the engine once it is
    committed. The kind's check refuses a request before any job exists, and so does a
    receiver of `job_submitting` (an uncallable model, a project over its budget).

    The same owner and `idempotency_key` for the same request give the first job back, and
    nothing runs again; for another request it is a 409.
    """
    spec = KINDS[kind]
    if spec.check is not None:
        spec.check(subject, **arguments)
    named = {spec.subject: str(subject.pk)}
    prepared = {name: arguments.pop(name) for name in spec.prepared if name in arguments}
    return _submit(
        owner=owner,
        kind=kind,
        ai_model=ai_model,
        input={**named, **arguments},
        fingerprint={**named, **arguments, **prepared},
        idempotency_key=idempotency_key,
        prepare=(lambda job: spec.prepare(job, subject, **prepared)) if spec.prepare else None,
        **links_of(subject),
    )


# Job's links to what it is for, each to what the one before it belongs to.
LINKS = ("chat_session", "task", "project")


def links_of(subject) -> dict:
    """The job's links (`Job.chat_session`, `.task`, `.project`) to `subject`: the subject
    where it is one of them, and what it belongs to: a session's task, a task's project, an
    interview's or a prompt's project. A subject of none (an AI model) links to nothing."""
    links, current = {}, subject
    for name in LINKS:
        model = Job._meta.get_field(name).related_model
        found = current if isinstance(current, model) else getattr(current, name, None)
        if isinstance(found, model):
            links[name] = current = found
    return links


def _submit(
    *,
    owner,
    kind: str,
    input: dict,
    fingerprint: dict,
    ai_model=None,
    idempotency_key: str = "",
    prepare: Callable[[Job], dict | None] | None = None,
    **links,
) -> Job:
    digest = request_digest({"kind": kind, "ai_model": ai_model and ai_model.pk, **fingerprint})
    if idempotency_key and (job := replayed(owner=owner, idempotency_key=idempotency_key, digest=digest)):
        return job
    job_submitting.send(sender=Job, kind=kind, owner=owner, project=links.get("project"), ai_model=ai_model)
    try:
        with transaction.atomic():
            job = Job.objects.create(
                owner=owner,
                kind=kind,
                ai_model=ai_model,
                input=input,
                idempotency_key=idempotency_key,
                request_digest=digest if idempotency_key else "",
                dispatches=0 if settings.JOBS_INLINE else 1,
                **links,
            )
            if prepare is not None and (more := prepare(job)):
                job.input = {**job.input, **more}
                job.save(update_fields=["input"])
            JobEvent.objects.create(job=job, type=JobEvent.Type.STATUS, data={"status": job.status})
    except IntegrityError:
        # Two requests with one key at once: the other one's job stands.
        if idempotency_key and (job := replayed(owner=owner, idempotency_key=idempotency_key, digest=digest)):
            return job
        raise
    dispatch(job)
    return job


def job_in_progress(*, kind: str, subject: str, key: str, but: Job | None = None) -> Job | None:
    """A queued or running job of `kind` on the same object (`input[subject] == key`), other
    than `but`: an interview or a session answers one message at a time, and is not closed
    while it answers."""
    unfinished = Job.objects.filter(kind=kind, status__in=Job.UNFINISHED, **{f"input__{subject}": key})
    return (unfinished if but is None else unfinished.exclude(pk=but.pk)).first()


def refuse_while_answering(kind: str, *, who: str, then: str, but: Job | None = None, **subject) -> None:
    """A 409 while a job of `kind` on the object (`subject`: its input name and id, e.g.
    `session=pk`) is queued or running, other than `but`: `who` is still answering; wait for
    it, then `then`."""
    ((name, key),) = subject.items()
    answering = job_in_progress(kind=kind, subject=name, key=str(key), but=but)
    if answering is not None:
        raise Conflict(f"{who} is still answering a message (job {answering.pk}); wait for it, then {then}.")
