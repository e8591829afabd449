import json

from django.db import transaction
from django.utils import timezone

from aimodels.gateway import ToolCallRequest, complete
from aimodels.models import AIModel, SystemSettings
from chat.models import ChatSession, Message
from chat.tools import AgentTools
from orchestrator.exceptions import Conflict


def _instructions(session: ChatSession) -> str:
    task = session.task
    return (
        f"You are an AI assistant working on the task '{task.title}' of the project "
        f"'{task.project.name}'.\n\nTask description:\n{task.description or '(none)'}\n\n"
        "You can read and change this project's Kanban board with the tools you are given; "
        f"its columns are {', '.join(task.Status.values)}. Use them when the user asks you to "
        "act on the board, then answer briefly with what you did."
    )


@transaction.atomic
def _append_user_message(*, session: ChatSession, content: str) -> Message:
    # The row lock makes the status check and the append one step.
    session = ChatSession.objects.select_for_update().get(pk=session.pk)
    if session.status != ChatSession.Status.ACTIVE:
        raise Conflict(f"The chat session is {session.status}; it takes no new messages.")
    ChatSession.objects.filter(pk=session.pk).update(updated_at=timezone.now())
    return Message.objects.create(session=session, role=Message.Role.USER, content=content)


def _history(session: ChatSession) -> list[dict]:
    """The conversation so far in the gateway's shape: tool calls and their results included."""
    history = []
    for message in Message.objects.filter(session=session).prefetch_related("tool_calls"):
        if message.role == Message.Role.USER:
            history.append({"role": "user", "content": message.content})
        elif message.role == Message.Role.ASSISTANT:
            calls = list(message.tool_calls.all())
            history.append(
                {
                    "role": "assistant",
                    "content": message.content,
                    "tool_calls": [
                        ToolCallRequest(id=call.call_id, name=call.tool_name, arguments=call.arguments)
                        for call in calls
                    ],
                }
            )
            history += [
                {"role": "tool", "tool_call_id": call.call_id, "content": json.dumps(call.result)}
                for call in calls
            ]
    return history


REPEATED_CALL = "Not run again: this turn already made the same call with the same arguments."


def _record_reply(session: ChatSession, completion) -> Message:
    return Message.objects.create(
        session=session,
        role=Message.Role.ASSISTANT,
        content=completion.text,
        usage=completion.usage,
        finish_reason=completion.finish_reason,
        truncated=completion.truncated,
    )


def _system_note(session: ChatSession, content: str) -> Message:
    return Message.objects.create(session=session, role=Message.Role.SYSTEM, content=content)


def chat_send(*, session: ChatSession, content: str, ai_model: AIModel) -> list[Message]:
    """One agent turn: store the user's message, then let the model answer and call tools,
    at most `ai.max_tool_iterations` model calls. Returns the messages the turn added.

    A call the model repeats with the same arguments in one turn is not run again, and ends
    the loop; so does the iteration limit. Either way a last call, with the tools withheld
    (tool_choice "none"), gives the user a summary in words. Everything is committed as it
    happens, so a provider failure mid-turn keeps what was done.
    """
    added = [_append_user_message(session=session, content=content)]
    tools = AgentTools(session)
    system = {"role": "system", "content": _instructions(session)}
    limit = SystemSettings.objects.value_of("ai.max_tool_iterations")
    ChatSession.objects.filter(pk=session.pk).update(ai_model_used=ai_model.name)
    made: set[tuple[str, str]] = set()
    for _ in range(limit):
        completion = complete(ai_model, messages=[system, *_history(session)], tools=tools.specs)
        reply = _record_reply(session, completion)
        added.append(reply)
        if not completion.tool_calls:
            return added
        repeated = False
        for call in completion.tool_calls:
            key = (call.name, json.dumps(call.arguments, sort_keys=True))
            if key in made:
                tools.refuse(call, message=reply, reason=REPEATED_CALL)
                repeated = True
            else:
                made.add(key)
                tools.run(call, message=reply)
        if repeated:
            added.append(
                _system_note(session, "Stopped: the model repeated a tool call it had already made.")
            )
            break
    else:
        note = (
            f"Stopped after {limit} model calls (setting ai.max_tool_iterations) with tools still requested."
        )
        added.append(_system_note(session, note))
    # Tools withheld: should the model ask for one anyway, it is not run.
    summary = complete(ai_model, messages=[system, *_history(session)], tools=tools.specs, tool_choice="none")
    added.append(_record_reply(session, summary))
    return added


@transaction.atomic
def chat_session_complete(*, session: ChatSession) -> ChatSession:
    """Close an active session; it takes no new messages afterwards."""
    session = ChatSession.objects.select_for_update().get(pk=session.pk)
    if session.status != ChatSession.Status.ACTIVE:
        raise Conflict(f"The chat session is already {session.status}.")
    session.status = ChatSession.Status.COMPLETED
    session.save(update_fields=["status", "updated_at"])
    return session
