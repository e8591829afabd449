from django.db import transaction
from django.utils import timezone

from chat.models import ChatJob, ChatSession, Message
from core.exceptions import Conflict
from jobs.models import Job
from jobs.services import refuse_while_answering


@transaction.atomic
def chat_append_user_message(job: Job, session: ChatSession, *, content: str) -> dict:
    """The user's message of an agent turn, stored with the job (its `prepare`): refused once
    the session is over, or while the agent is still answering. Answers the job's `message`."""
    # The row lock makes the checks and the append one step.
    session = ChatSession.objects.select_for_update().get(pk=session.pk)
    if session.status != ChatSession.Status.ACTIVE:
        raise Conflict(f"The chat session is {session.status}; it takes no new messages.")
    refuse_while_answering(
        ChatJob.CHAT_MESSAGE, session=session.pk, but=job, who="The agent", then="send the next one"
    )
    ChatSession.objects.filter(pk=session.pk).update(updated_at=timezone.now())
    message = Message.objects.create(session=session, role=Message.Role.USER, content=content, job=job)
    return {"message": str(message.pk)}


@transaction.atomic
def chat_session_complete(*, session: ChatSession) -> ChatSession:
    """Close an active session; it takes no new messages afterwards."""
    session = ChatSession.objects.select_for_update().get(pk=session.pk)
    if session.status != ChatSession.Status.ACTIVE:
        raise Conflict(f"The chat session is already {session.status}.")
    then = "complete the session (or cancel the job first)"
    refuse_while_answering(ChatJob.CHAT_MESSAGE, session=session.pk, who="The agent", then=then)
    session.status = ChatSession.Status.COMPLETED
    session.save(update_fields=["status", "updated_at"])
    return session
