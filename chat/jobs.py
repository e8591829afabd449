"""The agent turn, run as a job. It can be delivered again after a worker is lost: the
replies it recorded are read back instead of asking the model again, and a tool call
recorded once is never run again (see `AgentTools.run`)."""

import json
import uuid

from aimodels.calls import AIJobRun, ai_job_kind
from aimodels.gateway import ToolCallRequest
from aimodels.models import SystemSettings
from chat.models import ChatJob, ChatSession, Message, ToolCall
from chat.serializers import MessageSerializer
from chat.services import chat_append_user_message
from chat.tools import AgentTools
from jobs.models import JobEvent
from jobs.services import schema_list

REPEATED_CALL = "Not run again: this turn already made the same call with the same arguments."


def _instructions(session: ChatSession) -> str:
    task = session.task
    return (
        f"You are an AI assistant working on the task '{task.title}' (id {task.pk}) of the "
        f"project '{task.project.name}'.\n\nTask description:\n{task.description or '(none)'}\n\n"
        "To split it into subtasks, create tasks with this task's id as their `parent`. "
        "You can read and change this project's Kanban board with the tools you are given; "
        f"its columns are {', '.join(task.Status.values)}. Use them when the user asks you to "
        "act on the board, then answer briefly with what you did."
    )


def _requests(message: Message) -> list[ToolCallRequest]:
    return [ToolCallRequest(**request) for request in message.tool_requests]


def _history(session: ChatSession) -> list[dict]:
    """The conversation so far in the gateway's shape: tool calls and their results included."""
    messages = list(Message.objects.filter(session=session).exclude(role=Message.Role.SYSTEM))
    results = {call.call_id: call.result for call in ToolCall.objects.filter(session=session)}
    history = []
    for message in messages:
        if message.role == Message.Role.USER:
            history.append({"role": "user", "content": message.content})
            continue
        calls = _requests(message)
        history.append({"role": "assistant", "content": message.content, "tool_calls": calls})
        history += [
            {"role": "tool", "tool_call_id": call.id, "content": json.dumps(results.get(call.id, {}))}
            for call in calls
        ]
    return history


def _unique_call_ids(session: ChatSession, calls: list[ToolCallRequest]) -> list[dict]:
    """The calls as stored: each id unique in the session (some servers number their calls
    afresh every answer), at most 100 characters, never empty."""
    taken = set(ToolCall.objects.filter(session=session).values_list("call_id", flat=True))
    for message in Message.objects.filter(session=session).exclude(tool_requests=[]):
        taken.update(request["id"] for request in message.tool_requests)
    stored = []
    for call in calls:
        call_id = call.id[:100] or f"call_{uuid.uuid4().hex[:12]}"
        if call_id in taken:
            call_id = f"{call_id[:87]}~{uuid.uuid4().hex[:12]}"
        taken.add(call_id)
        stored.append(
            {
                "id": call_id,
                "name": call.name,
                "arguments": call.arguments,
                "raw_arguments": call.raw_arguments,
            }
        )
    return stored


class AgentTurn:
    def __init__(self, run: AIJobRun):
        self.run = run
        self.job = run.job
        self.session = ChatSession.objects.select_related("task__project__owner").get(
            pk=self.job.input["session"]
        )
        self.tools = AgentTools(self.session)
        self.system = {"role": "system", "content": _instructions(self.session)}
        # What an earlier delivery of this job recorded, to be read back rather than redone.
        recorded = list(Message.objects.filter(job=self.job).exclude(role=Message.Role.USER))
        self.recorded_replies = iter([m for m in recorded if m.role == Message.Role.ASSISTANT])
        self.noted = any(m.role == Message.Role.SYSTEM for m in recorded)

    def reply(self, **options) -> Message:
        """The model's next answer: recorded by an earlier delivery, or asked for now."""
        if (recorded := next(self.recorded_replies, None)) is not None:
            return recorded
        completion = self.run.complete(
            self.run.ai_model,
            messages=[self.system, *_history(self.session)],
            tools=self.tools.specs,
            **options,
        )
        with self.run.step():
            ChatSession.objects.filter(pk=self.session.pk).update(ai_model_used=self.run.answered_by.name)
            message = Message.objects.create(
                session=self.session,
                job=self.job,
                role=Message.Role.ASSISTANT,
                content=completion.text,
                usage=completion.usage,
                finish_reason=completion.finish_reason,
                truncated=completion.truncated,
                tool_requests=_unique_call_ids(self.session, completion.tool_calls),
            )
            for request in message.tool_requests:
                self.run.event(
                    JobEvent.Type.TOOL_CALL,
                    id=request["id"],
                    name=request["name"],
                    arguments=request["arguments"],
                )
        return message

    def act(self, message: Message, made: set) -> bool:
        """Run the calls `message` asked for; False when the model repeated one (not run)."""
        repeated = False
        for call in _requests(message):
            key = (call.name, json.dumps(call.arguments, sort_keys=True))
            if key in made:
                record, new = self.tools.refuse(call, message=message, reason=REPEATED_CALL)
                repeated = True
            else:
                made.add(key)
                record, new = self.tools.run(call, message=message)
            if new:
                self.run.event(
                    JobEvent.Type.TOOL_RESULT,
                    id=record.call_id,
                    name=record.tool_name,
                    status=record.status,
                    result=record.result,
                )
        return not repeated

    def note(self, content: str) -> None:
        if not self.noted:
            with self.run.step():
                Message.objects.create(
                    session=self.session, job=self.job, role=Message.Role.SYSTEM, content=content
                )

    def __call__(self) -> None:
        """At most `ai.max_tool_iterations` model calls. A call the model repeats with the same
        arguments in one turn is not run again, and ends the loop; so does the limit. Either
        way a last call, with the tools withheld (tool_choice "none"), gives the user a
        summary in words. Each step is committed as it happens."""
        limit = SystemSettings.objects.value_of("ai.max_tool_iterations")
        made: set[tuple[str, str]] = set()
        for _ in range(limit):
            message = self.reply()
            if not message.tool_requests:
                return self.finish()
            if not self.act(message, made):
                self.note("Stopped: the model repeated a tool call it had already made.")
                break
        else:
            self.note(
                f"Stopped after {limit} model calls (setting ai.max_tool_iterations) "
                "with tools still requested."
            )
        summary = self.reply(tool_choice="none")
        # Tools withheld: should the model ask for one anyway, it is refused, not run.
        for call in _requests(summary):
            self.tools.refuse(
                call, message=summary, reason="Not run: this answer was asked for without tools."
            )
        self.finish()

    def finish(self) -> None:
        added = Message.objects.filter(job=self.job).prefetch_related("tool_calls")
        with self.run.step():
            self.run.finish({"messages": MessageSerializer(added, many=True).data})


@ai_job_kind(
    ChatJob.CHAT_MESSAGE,
    subject="session",
    prepare=chat_append_user_message,
    prepared=("content",),
    result={
        "messages": schema_list("Message", "chat_message: the messages the turn added, the user's first.")
    },
)
def agent_turn(run: AIJobRun) -> None:
    """The task agent answers the user's message (`content`, stored with the job)."""
    AgentTurn(run)()
