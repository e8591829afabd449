from django.db import transaction
from django.utils import timezone

from aimodels.models import AIModel
from chat.models import ChatSession, Message
from jobs.models import Job
from jobs.services import job_in_progress, job_submit
from orchestrator.exceptions import Conflict


@transaction.atomic
def _append_user_message(*, session: ChatSession, content: str, job: Job) -> Message:
    # The row lock makes the checks and the append one step.
    session = ChatSession.objects.select_for_update().get(pk=session.pk)
    if session.status != ChatSession.Status.ACTIVE:
        raise Conflict(f"The chat session is {session.status}; it takes no new messages.")
    answering = job_in_progress(kind=Job.Kind.CHAT_MESSAGE, subject="session", key=str(session.pk), but=job)
    if answering is not None:
        raise Conflict(
            f"The agent is still answering the previous message (job {answering.pk}); wait for it."
        )
    ChatSession.objects.filter(pk=session.pk).update(updated_at=timezone.now())
    return Message.objects.create(session=session, role=Message.Role.USER, content=content, job=job)


def chat_send(
    *, session: ChatSession, content: str, ai_model: AIModel, owner, idempotency_key: str = ""
) -> Job:
    """Start an agent turn: the user's message is stored with the job, and the turn runs as
    the job (see `chat.jobs.agent_turn`)."""
    return job_submit(
        owner=owner,
        kind=Job.Kind.CHAT_MESSAGE,
        project=session.task.project,
        task=session.task,
        chat_session=session,
        ai_model=ai_model,
        input={"session": str(session.pk)},
        fingerprint={"session": str(session.pk), "content": content},
        idempotency_key=idempotency_key,
        prepare=lambda job: {
            "message": str(_append_user_message(session=session, content=content, job=job).pk)
        },
    )


@transaction.atomic
def chat_session_complete(*, session: ChatSession) -> ChatSession:
    """Close an active session; it takes no new messages afterwards."""
    session = ChatSession.objects.select_for_update().get(pk=session.pk)
    if session.status != ChatSession.Status.ACTIVE:
        raise Conflict(f"The chat session is already {session.status}.")
    session.status = ChatSession.Status.COMPLETED
    session.save(update_fields=["status", "updated_at"])
    return session
