"""The tools the task agent may call. Each acts only on the session's project and goes
through the same serializers and kanban services as the REST API; a refused call is
not executed and its error goes back to the model."""

import logging
import time
from types import SimpleNamespace

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework.exceptions import APIException

from aimodels.gateway import ToolCallRequest, ToolSpec
from chat.models import ChatSession, Message, ToolCall
from core.exceptions import refusal_of
from core.history import acting
from core.tools import ToolArgumentError, tool
from kanban import arguments, services
from kanban.models import Commit, Task
from kanban.serializers import CLAIM_COLUMNS, TaskSerializer, with_computed_fields
from kanban.tools import TaskTools, ToolRefused

logger = logging.getLogger(__name__)


class AgentTools(TaskTools):
    def __init__(self, session: ChatSession):
        self.session = session
        self.project = session.task.project
        # The serializers scope references through the requesting user: the project's owner.
        self.context = {"request": SimpleNamespace(user=self.project.owner)}

    def run(self, call: ToolCallRequest, *, message: Message) -> tuple[ToolCall, bool]:
        """Execute one call and record it, once: `(record, True)`, or the record of an earlier
        run of the same call id and False. Never raises for a refused call.

        The effect and its record are one transaction, so a call is applied exactly when it
        is recorded; a delivery racing this one fails on the record and rolls its effect back.
        """
        return self._once(call, lambda: self._execute(call), message=message)

    def refuse(self, call: ToolCallRequest, *, message: Message, reason: str) -> tuple[ToolCall, bool]:
        """Record a call that is not run, with the reason the model will read."""
        return self._once(call, lambda: ({"error": reason}, ToolCall.Status.ERROR), message=message)

    def _once(self, call, outcome, *, message) -> tuple[ToolCall, bool]:
        recorded = ToolCall.objects.filter(session=self.session, call_id=call.id).first()
        if recorded is not None:
            return recorded, False
        started = time.monotonic()
        try:
            with transaction.atomic():
                result, status = outcome()
                record = self._record(call, message=message, result=result, status=status, started=started)
        except IntegrityError:
            return ToolCall.objects.get(session=self.session, call_id=call.id), False
        return record, True

    def _execute(self, call: ToolCallRequest) -> tuple[dict, str]:
        via = {"chat_session": str(self.session.pk), "call_id": call.id, "tool": call.name}
        try:
            # a refused call leaves nothing behind; what it does is the agent's, for the owner
            with transaction.atomic(), acting(channel="agent", user=self.project.owner, via=via):
                return self._dispatch(call), ToolCall.Status.SUCCESS
        except ToolRefused as exc:
            return {"error": str(exc)}, ToolCall.Status.ERROR
        except Exception:
            logger.exception("Tool %s failed", call.name)
            return {"error": "The tool failed unexpectedly."}, ToolCall.Status.ERROR

    def _record(self, call, *, message, result, status, started) -> ToolCall:
        return ToolCall.objects.create(
            session=self.session,
            message=message,
            call_id=call.id,
            # A model may send any name; the column keeps 100 characters.
            tool_name=call.name[:100],
            arguments=call.arguments if call.arguments is not None else {"raw": call.raw_arguments},
            result=result,
            status=status,
            duration_ms=round((time.monotonic() - started) * 1000),
        )

    @property
    def specs(self) -> list[ToolSpec]:
        """The tools as the model is offered them."""
        return [ToolSpec(t.name, t.description, t.parameters) for t in self.tools.values()]

    def _dispatch(self, call: ToolCallRequest) -> dict:
        declared = self.tools.get(call.name)
        if declared is not None and declared.destructive and not self.session.allow_destructive:
            raise ToolRefused(
                f"{call.name} is destructive and this session does not allow destructive tools; "
                "ask the user to allow them (the session's allow_destructive)."
            )
        arguments = call.arguments if call.arguments is not None else []  # not an object: refused
        try:
            return self.call(call.name, arguments)
        except ToolArgumentError as exc:
            raise ToolRefused(str(exc)) from None
        except (DjangoValidationError, APIException) as exc:
            raise ToolRefused(refusal_of(exc)) from None

    def _missing(self, what, object_id) -> str:
        where = "on this project's board" if what == "Task" else "one of this project's"
        return f"{what} {object_id} is not {where}."

    def _task(self, task_id) -> Task:
        return self._find(Task.objects.filter(project=self.project), task_id, "Task")

    def _commit(self, commit_id) -> Commit:
        return self._find(Commit.objects.filter(project=self.project), commit_id, "Commit")

    def _written(self, task: Task) -> dict:
        return {"task": TaskSerializer(task, context=self.context).data}

    @tool(
        "List the project's tasks in board order (with priority and whether each is blocked), "
        "optionally of one column.",
        read_only=True,
        status=arguments.STATUS,
    )
    def list_tasks(self, status=None):
        if status is not None and status not in Task.Status.values:
            raise ToolRefused(f"Unknown status {status!r}; columns are {', '.join(Task.Status.values)}.")
        tasks = Task.objects.filter(project=self.project).in_board_order()
        if status is not None:
            tasks = tasks.filter(status=status)
        rows = with_computed_fields(
            list(
                tasks.values(
                    "id", "title", "status", "priority", "description", *Task.AI_USAGE, *CLAIM_COLUMNS
                )[:200]
            )
        )
        return {
            "tasks": [
                {**row, "id": str(row["id"]), "dependencies": [str(pk) for pk in row["dependencies"]]}
                for row in rows
            ]
        }

    @tool(
        "Create a task at the end of a column (backlog unless given); with `parent`, a subtask of that task.",
        title=arguments.TITLE,
        description=arguments.DESCRIPTION,
        status=arguments.STATUS,
        priority=arguments.PRIORITY,
        complexity=arguments.COMPLEXITY,
        details=arguments.DETAILS,
        test_strategy=arguments.TEST_STRATEGY,
        parent=arguments.PARENT,
    )
    def create_task(self, title, **fields):
        return self._created(self.project, title=title, **fields)

    @tool("Move a task to the end of the done column.", task_id=arguments.TASK_ID)
    def complete_task(self, task_id):
        return self._written(services.task_move(task=self._task(task_id), status=Task.Status.DONE))

    @tool(
        "Read one task whole: its fields, dependencies, whether it is blocked, its subtasks.",
        read_only=True,
        task_id=arguments.TASK_ID,
    )
    def get_task(self, task_id):
        task = self._task(task_id)
        subtasks = task.subtasks.in_board_order().values_list("pk", "title", "status")
        return {
            **self._written(task),
            "subtasks": [{"id": str(pk), "title": title, "status": status} for pk, title, status in subtasks],
        }

    @tool(
        "Delete a task and its subtasks (destructive: only where the session allows it).",
        destructive=True,
        task_id=arguments.TASK_ID,
    )
    def delete_task(self, task_id):
        return services.task_delete(task=self._task(task_id))

    @tool(
        "The task to do next: unblocked, not started, highest priority, fewest dependencies.",
        read_only=True,
    )
    def next_task(self):
        return self._next_on(self.project)
