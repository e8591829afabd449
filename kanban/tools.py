"""The board's tools that the chat agent (`chat.tools`) and coding agents over MCP
(`mcp_server.tools`) share, written once: each checks its arguments with the REST API's
serializer and writes through the kanban services, so every rule holds whoever calls.

A toolbox built on `TaskTools` says how a task or a commit is found for its caller (`_task`,
`_commit`, through `_find`; another's is "not found", in its words: `_missing`), what
working on a task asks first (`_task_to_work_on`: over MCP, that no one else holds it) and
how a written task is answered (`_written`)."""

import uuid

from django.db.models import QuerySet

from core.tools import Toolbox, tool
from kanban import services
from kanban.arguments import (
    BRANCH,
    BRIEF,
    COMMIT_ID,
    COMPLEXITY,
    DEPENDS_ON_ID,
    DESCRIPTION,
    DETAILS,
    POSITION,
    PRIORITY,
    REPOSITORY,
    SHA,
    STATUS,
    TASK_ID,
    TEST_STRATEGY,
    TITLE,
)
from kanban.models import Commit, Task
from kanban.serializers import CommitRecordSerializer, CommitSerializer, TaskMoveSerializer, TaskSerializer


class ToolRefused(Exception):
    """The call was not executed; the message tells the agent why and what to do instead."""


def given(**values) -> dict:
    """The optional arguments the agent sent, but for null ones (a parameter left out is None)."""
    return {name: value for name, value in values.items() if value is not None}


class TaskTools(Toolbox):
    context: dict  # the serializers' context: they scope references through its request's user

    def _find(self, objects: QuerySet, object_id, what: str):
        """The one of `objects` (what the caller may see) with the id the agent gave; an id
        of nothing there, or no id at all, is refused in this toolbox's words."""
        try:
            found = objects.filter(pk=uuid.UUID(str(object_id))).first()
        except ValueError:
            found = None
        if found is None:
            raise ToolRefused(self._missing(what, object_id))
        return found

    def _missing(self, what: str, object_id) -> str:
        raise NotImplementedError

    def _task(self, task_id) -> Task:
        raise NotImplementedError

    def _task_to_work_on(self, task_id) -> Task:
        return self._task(task_id)

    def _commit(self, commit_id) -> Commit:
        raise NotImplementedError

    def _written(self, task: Task) -> dict:
        return {"task": TaskSerializer(task, context=self.context).data}

    def _next_on(self, project, **holder) -> dict:
        """The task to do next on `project`'s board and why (passing over tasks claimed by
        anyone but `holder`, where one is given), or why there is none."""
        chosen = services.next_task(project=project, **holder)
        if chosen is None:
            return {"task": None, "reason": services.nothing_next(project=project)}
        task, reason = chosen
        return {**self._written(task), "reason": reason}

    def _created(self, project, **fields) -> dict:
        """A new task of `project` from the agent's arguments (None: not sent), as POST tasks/
        makes it."""
        serializer = TaskSerializer(
            data={"project": str(project.pk), **given(**fields)}, context=self.context
        )
        serializer.is_valid(raise_exception=True)
        return self._written(services.task_create(**serializer.validated_data))

    @tool(
        "Change a task's title, description, details, test strategy, priority, complexity or brief "
        "parts (tick acceptance criteria and deliverables, set step statuses as you go).",
        idempotent=True,
        task_id=TASK_ID,
        title=TITLE,
        description=DESCRIPTION,
        details=DETAILS,
        test_strategy=TEST_STRATEGY,
        priority=PRIORITY,
        complexity=COMPLEXITY,
        brief=BRIEF,
    )
    def update_task(self, task_id, **changes):
        task = self._task_to_work_on(task_id)
        serializer = TaskSerializer(task, data=given(**changes), partial=True, context=self.context)
        serializer.is_valid(raise_exception=True)
        return self._written(services.task_update(task=task, **serializer.validated_data))

    @tool(
        "Move a task to a column (in_progress when you start, review when it is ready), at a "
        "0-based position (default: the end).",
        task_id=TASK_ID,
        status=STATUS,
        position=POSITION,
    )
    def move_task(self, task_id, status, position=None):
        move = TaskMoveSerializer(data=given(status=status, position=position))
        move.is_valid(raise_exception=True)
        task = self._task_to_work_on(task_id)
        return self._written(services.task_move(task=task, **move.validated_data))

    @tool(
        "Make a task wait for another task of its project.",
        idempotent=True,
        task_id=TASK_ID,
        depends_on_id=DEPENDS_ON_ID,
    )
    def add_dependency(self, task_id, depends_on_id):
        task = self._task_to_work_on(task_id)
        return self._written(services.dependency_add(task=task, depends_on=self._task(depends_on_id)))

    @tool("Stop a task waiting for another.", idempotent=True, task_id=TASK_ID, depends_on_id=DEPENDS_ON_ID)
    def remove_dependency(self, task_id, depends_on_id):
        task = self._task_to_work_on(task_id)
        services.dependency_remove(task=task, depends_on=self._task(depends_on_id))
        return self._written(task)

    @tool(
        "Approve a task's checkpoint. Only a person can: the call is refused and recorded; the task "
        "waits for its owner's approval on its page.",
        task_id=TASK_ID,
    )
    def approve_task(self, task_id):
        task = self._task(task_id)
        services.task_approve(task=task, user=task.project.owner)  # refused: the channel is an agent's

    @tool(
        "Record the commit git made with a generated message: its SHA (git rev-parse HEAD), branch "
        "and repository. The same SHA again changes nothing; another one is refused.",
        idempotent=True,
        commit_id=COMMIT_ID,
        sha=SHA,
        branch=BRANCH,
        repository=REPOSITORY,
    )
    def record_commit(self, commit_id, sha, branch=None, repository=None):
        commit = self._commit(commit_id)
        recorded = CommitRecordSerializer(data={"sha": sha, **given(branch=branch, repository=repository)})
        recorded.is_valid(raise_exception=True)
        commit = services.commit_record(commit=commit, **recorded.validated_data)
        return {"commit": CommitSerializer(commit, context=self.context).data}
