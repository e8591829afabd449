"""The board's tools for coding agents (Claude Code, Cursor, VS Code...) over MCP. Each acts
as the caller's user, only on that user's projects, through the same serializers and kanban
services as the REST API, so every rule holds (WIP limits, dependencies, claims). None needs
a model on the server: the agent is the model.

The core set is what an agent needs to work a task from the board to done; the extended set
(`?tools=extended`) adds planning, dependencies, AI jobs and recording commits."""

import uuid
from datetime import timedelta
from types import SimpleNamespace

from aimodels.actions import ai_job_start
from aimodels.models import AIModel, SystemSettings
from aimodels.serializers import AIActionSerializer
from core.tools import tool
from jobs.models import Job
from jobs.serializers import JobSerializer
from kanban import services
from kanban.arguments import (
    DESCRIPTION,
    DETAILS,
    ID_CHARS,
    PARENT,
    PRIORITY,
    STATUS,
    TASK_ID,
    TEST_STRATEGY,
    TITLE,
)
from kanban.markdown import task_markdown
from kanban.models import BoardJob, Commit, Task, TaskClaim
from kanban.serializers import (
    CLAIM_COLUMNS,
    TaskExpandSerializer,
    TaskSerializer,
    whole,
    with_computed_fields,
)
from kanban.tools import TaskTools, ToolRefused, given
from projects.composition import render
from projects.models import Project, Prompt
from projects.services import prompt_resolve

PROJECT_ID = {"type": "string", "maxLength": ID_CHARS, "description": "The project's id (list_projects)."}
TTL_SECONDS = {
    "type": "integer",
    "minimum": 60,
    "maximum": 7 * 24 * 3600,
    "description": "How long the claim lasts unless renewed (default 1800).",
}
LIMIT = {"type": "integer", "minimum": 1, "maximum": 200, "description": "At most this many (default 100)."}
LINEAGE = {
    "type": "string",
    "maxLength": ID_CHARS,
    "description": "The prompt lineage's id (the id of its first version).",
}
LABEL = {"type": "string", "maxLength": 50, "description": "A label such as production, or latest (default)."}
VARIABLES = {
    "type": "object",
    "additionalProperties": {"type": "string"},
    "description": "Values for the prompt's {{variables}}.",
}
JOB_ID = {
    "type": "string",
    "maxLength": ID_CHARS,
    "description": "The job's id (from the tool that started it).",
}
COUNT = {"type": "integer", "minimum": 1, "maximum": 20, "description": "About how many subtasks."}
PROMPT_ID = {"type": "string", "maxLength": ID_CHARS, "description": "The prompt version's id."}

CORE_TOOLS = (
    "list_projects",
    "next_task",
    "list_tasks",
    "get_task",
    "claim_task",
    "update_task",
    "move_task",
    "complete_task",
    "release_task",
    "get_prompt",
)


def _shown(value) -> str:
    """An id as a message repeats it: never longer than an id."""
    text = str(value)
    return repr(text if len(text) <= ID_CHARS else f"{text[:ID_CHARS]}…")


def _uuid(value, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ToolRefused(f"{what} {_shown(value)} not found.") from None


def _summary(task) -> dict:
    return {"id": str(task.pk), "title": task.title, "status": task.status}


class BoardTools(TaskTools):
    def __init__(self, *, user, holder: str):
        self.user = user
        self.holder = holder
        # The serializers scope references through the requesting user.
        self.context = {"request": SimpleNamespace(user=user)}

    # Lookups: another user's object is "not found", exactly like one that does not exist.

    def _missing(self, what, object_id) -> str:
        return f"{what} {_shown(object_id)} not found."

    def _project(self, project_id) -> Project:
        return self._find(Project.objects.for_user(self.user), project_id, "Project")

    def _task(self, task_id) -> Task:
        return self._find(Task.objects.for_user(self.user).select_related("project"), task_id, "Task")

    def _task_to_work_on(self, task_id) -> Task:
        """The task, if no one else holds a live claim on it; the caller's own claim is renewed."""
        task = self._task(task_id)
        claim = TaskClaim.objects.live().filter(task=task).first()
        if claim is not None and claim.holder != self.holder:
            raise ToolRefused(
                f"Task {task.title!r} is claimed by {claim.holder} until "
                f"{claim.expires_at:%Y-%m-%d %H:%M} UTC; take another one (next_task) or ask its owner."
            )
        services.task_touch(task=task, holder=self.holder)
        return task

    def _commit(self, commit_id) -> Commit:
        return self._find(Commit.objects.for_user(self.user), commit_id, "Commit")

    def _written(self, task) -> dict:
        return {"task": TaskSerializer(whole(Task.objects.get(pk=task.pk)), context=self.context).data}

    # The core set.

    @tool("The projects you can work on, by name.", read_only=True)
    def list_projects(self):
        projects = Project.objects.for_user(self.user).order_by("name", "created_at")
        fields = ("id", "name", "description", "task_count")
        return {"projects": list(projects.values(*fields)[:200])}

    @tool(
        "The task to do next in a project: unblocked, not started, not claimed by someone else; "
        "highest priority first. Claim it before working on it.",
        read_only=True,
        project_id=PROJECT_ID,
    )
    def next_task(self, project_id):
        return self._next_on(self._project(project_id), holder=self.holder)

    @tool(
        "A project's tasks in board order (id, title, status, priority, blocked, who holds it), "
        "optionally of one column.",
        read_only=True,
        project_id=PROJECT_ID,
        status=STATUS,
        limit=LIMIT,
    )
    def list_tasks(self, project_id, status=None, limit=100):
        tasks = Task.objects.filter(project=self._project(project_id)).in_board_order()
        if status is not None:
            tasks = tasks.filter(status=status)
        fields = ("id", "title", "status", "priority", "complexity", *Task.AI_USAGE, *CLAIM_COLUMNS)
        rows = with_computed_fields(list(tasks.values(*fields)[:limit]))
        for row in rows:
            del row["ai_usage"]
            row["claimed_by"] = row.pop("claim")["holder"] if row["claim"] else None
        return {"tasks": rows, "total": tasks.count() if len(rows) == limit else len(rows)}

    @tool(
        "Read a task whole: its fields, what it waits for and their state, its subtasks, the prompt "
        "it came from, who holds it. Renews your claim on it.",
        read_only=True,
        task_id=TASK_ID,
    )
    def get_task(self, task_id):
        task = self._task(task_id)
        services.task_touch(task=task, holder=self.holder)
        subtasks = task.subtasks.in_board_order().values("id", "title", "status")
        waits_for = task.dependencies.in_board_order().values("id", "title", "status")
        return {
            **self._written(task),
            "waits_for": list(waits_for),
            "subtasks": list(subtasks),
            "brief": task_markdown(task),
        }

    @tool(
        "Take a task so no other agent works on it: a lease for ttl_seconds (30 minutes by default), "
        "renewed by your work on the task or by claiming again. Refused while someone else holds it.",
        idempotent=True,
        task_id=TASK_ID,
        ttl_seconds=TTL_SECONDS,
    )
    def claim_task(self, task_id, ttl_seconds=None):
        task = self._task(task_id)
        ttl = timedelta(seconds=ttl_seconds) if ttl_seconds else None
        try:
            claim = services.task_claim(task=task, holder=self.holder, user=self.user, ttl=ttl)
        except services.Claimed as exc:
            raise ToolRefused(f"{exc.detail['detail']} Take another task (next_task).") from None
        return {
            "claim": {"holder": claim.holder, "claimed_at": claim.claimed_at, "expires_at": claim.expires_at},
            "task": _summary(task),
        }

    @tool("Finish a task: move it to done and end your claim on it.", task_id=TASK_ID)
    def complete_task(self, task_id):
        task = services.task_move(task=self._task_to_work_on(task_id), status=Task.Status.DONE)
        released = services.task_release(task=task, holder=self.holder)
        return {**self._written(task), "released": released}

    @tool("End your claim on a task without finishing it, so another agent can take it.", task_id=TASK_ID)
    def release_task(self, task_id):
        task = self._task(task_id)
        try:
            released = services.task_release(task=task, holder=self.holder)
        except services.Claimed as exc:
            raise ToolRefused(exc.detail["detail"]) from None
        return {"task": _summary(task), "released": released}

    @tool(
        "A prompt of a lineage by label (production, latest...), composed with its components and "
        "rendered with variables.",
        read_only=True,
        lineage=LINEAGE,
        label=LABEL,
        variables=VARIABLES,
    )
    def get_prompt(self, lineage, label="latest", variables=None):
        prompts = Prompt.objects.for_user(self.user)
        prompt = prompt_resolve(prompts, lineage=_uuid(lineage, "Prompt lineage"), label=label)
        if prompt is None:
            raise ToolRefused(f"No prompt of lineage {_shown(lineage)} is labelled {label!r}.")
        text = render(prompt, variables or {})
        about = {"id": prompt.pk, "lineage": prompt.lineage, "version": prompt.version, "type": prompt.type}
        return {"prompt": about, "label": label, "text": text}

    # The extended set.

    @tool(
        "Create a task at the end of backlog; with parent, a subtask of that task.",
        project_id=PROJECT_ID,
        title=TITLE,
        description=DESCRIPTION,
        details=DETAILS,
        test_strategy=TEST_STRATEGY,
        priority=PRIORITY,
        parent=PARENT,
    )
    def create_task(self, project_id, title, **fields):
        return self._created(self._project(project_id), title=title, **fields)

    @tool(
        "Delete a task and its subtasks. Destructive: only where the setting mcp.allow_destructive is on.",
        destructive=True,
        task_id=TASK_ID,
    )
    def delete_task(self, task_id):
        if not SystemSettings.objects.value_of("mcp.allow_destructive"):
            raise ToolRefused(
                "delete_task is destructive and the setting mcp.allow_destructive is off; ask the "
                "project's owner to delete it, or to turn the setting on."
            )
        return services.task_delete(task=self._task_to_work_on(task_id))

    def _job(self, kind, usage_type, subject, body_serializer=AIActionSerializer, **body) -> dict:
        """Start a job as the REST action does (the same body serializer chooses the model)."""
        data = body_serializer(data=body, context=self.context)
        data.is_valid(raise_exception=True)
        job = ai_job_start(kind, body=data, owner=self.user, usage_type=usage_type, subject=subject)
        return {"job": {"id": job.pk, "kind": job.kind, "status": job.status}, "next": "poll it with get_job"}

    @tool(
        "Ask the server's AI model to break a task into subtasks, as a job (poll get_job).",
        task_id=TASK_ID,
        count=COUNT,
    )
    def expand_task(self, task_id, count=None):
        task = self._task_to_work_on(task_id)
        return self._job(
            BoardJob.TASK_EXPAND,
            AIModel.UsageType.TASK_PLANNING,
            task,
            TaskExpandSerializer,
            **given(count=count),
        )

    @tool(
        "Ask the server's AI model to plan a prompt into tasks, as a job (poll get_job).", prompt_id=PROMPT_ID
    )
    def plan_prompt(self, prompt_id):
        prompt = self._find(Prompt.objects.for_user(self.user), prompt_id, "Prompt")
        return self._job(BoardJob.TASK_PLAN, AIModel.UsageType.TASK_PLANNING, prompt)

    @tool(
        "Ask the server's AI model to score a project's open tasks 1-10, as a job (poll get_job).",
        project_id=PROJECT_ID,
    )
    def analyze_complexity(self, project_id):
        project = self._project(project_id)
        return self._job(BoardJob.COMPLEXITY_ANALYZE, AIModel.UsageType.TASK_PLANNING, project)

    @tool("A job's status, and its result or error once it has finished.", read_only=True, job_id=JOB_ID)
    def get_job(self, job_id):
        job = self._find(Job.objects.filter(owner=self.user), job_id, "Job")
        data = JobSerializer(job).data
        return {name: data[name] for name in ("id", "kind", "status", "result", "error", "cost")}


EXTENDED_TOOLS = tuple(name for name in BoardTools.tools if name not in CORE_TOOLS)
