"""The model calls of kanban's AI actions, run as jobs: the commit writer and the planner."""

import json

from aimodels.calls import AIJobRun, ai_job_kind
from aimodels.models import SystemSettings
from core.exceptions import Conflict
from jobs.services import schema_list, schema_ref
from kanban import planning, services
from kanban.conventional import CommitMessageError, commit_fields, parse, unwrap, with_trailers
from kanban.models import BoardJob, Commit, Task
from kanban.serializers import CommitSerializer, TaskSerializer, whole
from projects import composition
from projects.models import Project, Prompt

COMMIT_WRITER_INSTRUCTIONS = (
    "You write git commit messages that follow Conventional Commits 1.0: "
    "'<type>[(<scope>)][!]: <description>', then optionally a blank line and a body, then "
    "optionally a blank line and footers such as 'BREAKING CHANGE: <what breaks>'. "
    "The type is one of: feat, fix, docs, style, refactor, test, chore, perf, build, ci, revert. "
    "Leave out Task and Prompt-Version footers: they are added for you. "
    "Answer with the commit message only."
)
# Trailers the server adds to a generated message (the setting kanban.commit_trailers).
SERVER_TRAILERS = ("task", "prompt-version")

TRUNCATED_COMMIT = "The answer was cut off at the token limit; write a shorter commit message."


def refuse_subtask(task: Task, **arguments) -> None:
    if task.parent_id is not None:
        raise Conflict("This task is a subtask, and subtasks have no subtasks: expand its parent instead.")


def _commit_request(task: Task, job_input: dict) -> str:
    """What the commit writer reads: the task, its acceptance criteria, the style of recent
    commits, and the changes (a diff as `kanban.diffs.model_view` reduced it, else `changes`)."""
    parts = [f"The task: {task.title}", task.description]
    criteria = [item for item in task.brief.get("acceptance_criteria", []) if isinstance(item, dict)]
    if criteria:
        checked = (f"- [{'x' if item.get('done') else ' '}] {item.get('text', '')}" for item in criteria)
        parts.append("Acceptance criteria:\n" + "\n".join(checked))
    if subjects := job_input.get("recent_subjects"):
        parts.append("Recent commit subjects (write in their style):\n" + "\n".join(subjects))
    if "diff_view" in job_input:
        parts.append(f"The staged diff:\n{job_input['diff_view']}")
    else:
        parts.append(f"Changes:\n{json.dumps(job_input['changes'], indent=2)}")
    return "\n\n".join(part for part in parts if part)


def _trailers(task: Task) -> list[tuple[str, str]]:
    if not SystemSettings.objects.value_of("kanban.commit_trailers"):
        return []
    trailers = [("Task", str(task.pk))]
    if task.prompt is not None:
        trailers.append(("Prompt-Version", f"{task.prompt.lineage}@{task.prompt.version}"))
    return trailers


def _refuse_server_trailers(message: str) -> None:
    written = next((token for token, _ in parse(message).footers if token.lower() in SERVER_TRAILERS), None)
    if written is not None:
        raise CommitMessageError(f"Leave out the {written} footer: it is added for you.")


COMMITTED = {"commit": schema_ref("Commit", "commit_generate: the new commit.")}


@ai_job_kind(BoardJob.COMMIT_GENERATE, subject="task", result=COMMITTED)
def commit_write(run: AIJobRun) -> None:
    """A commit whose message the model writes from the task (its title, description and
    acceptance criteria), its `changes` or staged diff, and recent subjects for style.

    The message is taken out of the wrappers models put around it (see `conventional.unwrap`).
    An invalid or truncated message, or one that writes the server's trailers itself, is sent
    back once with the complaint; a second one fails the job (ai_provider_error, 502), and
    nothing is stored. Once valid, the trailers `Task` and `Prompt-Version` are added (the
    setting kanban.commit_trailers).
    """
    task = Task.objects.select_related("prompt").get(pk=run.job.input["task"])
    changes = run.job.input["changes"]
    ai_model = run.ai_model
    messages = [
        {"role": "system", "content": COMMIT_WRITER_INSTRUCTIONS},
        {"role": "user", "content": _commit_request(task, run.job.input)},
    ]

    def valid_commit(completion) -> str | None:
        try:
            if completion.truncated:
                raise CommitMessageError(TRUNCATED_COMMIT)
            commit_fields(unwrap(completion.text))
            _refuse_server_trailers(unwrap(completion.text))
        except CommitMessageError as exc:
            return str(exc)
        return None

    completion = run.complete_checked(
        ai_model,
        messages=messages,
        check=valid_commit,
        goal="write a valid Conventional Commit",
        resend=lambda reason: (
            f"That is not a valid Conventional Commit: {reason} "
            "Answer with the corrected commit message only."
        ),
    )
    message = with_trailers(unwrap(completion.text), _trailers(task))
    with run.step():
        commit = Commit.objects.create(
            task=task,
            message=message,
            changes=changes,
            created_by_ai_model=run.answered_by.name,
            **commit_fields(message),
        )
        run.finish({"commit": CommitSerializer(commit).data})


def _planning_context(project) -> str:
    return f"Project: {project.name}\n{project.description}".strip()


# What a plan and an expansion answer.
PLANNED = {
    "created": schema_list("Task", "task_plan, task_expand: the tasks written, in dependency order."),
    "kept": schema_list("Task", "task_plan, task_expand: the tasks already there under the same title."),
}


@ai_job_kind(BoardJob.TASK_PLAN, subject="prompt", result=PLANNED)
def task_plan(run: AIJobRun) -> None:
    """Tasks in backlog for a prompt (rendered with its components), linked to it. Tasks
    already planned from the prompt's lineage (same title) are kept, not written again."""
    prompt = Prompt.objects.select_related("project").get(pk=run.job.input["prompt"])
    existing = list(Task.objects.filter(prompt__lineage=prompt.lineage).in_board_order())
    already = "\n".join(f"- {task.title}" for task in existing)
    messages = [
        {"role": "system", "content": planning.PLANNER_INSTRUCTIONS.format(tool=planning.PLAN_TOOL.name)},
        {
            "role": "user",
            "content": f"{_planning_context(prompt.project)}\n\nRequirements:\n{composition.compose(prompt)}"
            + (
                f"\n\nThese tasks were planned from an earlier version; keep the title of each one "
                f"still needed, and add only what is new:\n{already}"
                if existing
                else ""
            ),
        },
    ]

    def create(**fields):
        return services.task_create(project=prompt.project, prompt=prompt, **fields)

    _plan_and_write(run, messages, planning.PLAN_TOOL, existing=existing, create=create)


@ai_job_kind(BoardJob.TASK_EXPAND, subject="task", check=refuse_subtask, result=PLANNED)
def task_expand(run: AIJobRun) -> None:
    """Subtasks in backlog for one task (about `count` of them, if given); subtasks it
    already has (same title) are kept. A subtask is refused: subtasks go one level deep."""
    task = Task.objects.select_related("project").get(pk=run.job.input["task"])
    existing = list(task.subtasks.in_board_order())
    count = run.job.input.get("count")
    messages = [
        {
            "role": "system",
            "content": planning.PLANNER_INSTRUCTIONS.format(tool=planning.SUBTASKS_TOOL.name)
            + " Here you break one task into its subtasks.",
        },
        {
            "role": "user",
            "content": f"{_planning_context(task.project)}\n\nTask: {task.title}\n{task.description}\n\n"
            f"Details: {task.details}\nTest strategy: {task.test_strategy}"
            + (f"\n\nWrite about {count} subtasks." if count else "")
            + (
                "\n\nIts subtasks so far (keep their titles if still needed):\n"
                + "\n".join(f"- {subtask.title}" for subtask in existing)
                if existing
                else ""
            ),
        },
    ]

    def create(**fields):
        return services.task_create(project=task.project, prompt=task.prompt, parent=task, **fields)

    _plan_and_write(run, messages, planning.SUBTASKS_TOOL, existing=existing, create=create, parent=task)


def _plan_and_write(
    run: AIJobRun, messages: list[dict], tool, *, existing: list, create, parent=None
) -> None:
    """Ask for planned tasks with `tool`, then write them in one step: new ones through
    `create`, those matching `existing` by title kept; the result lists both."""
    plan = planning.answer_with_tool(
        run,
        run.ai_model,
        messages=messages,
        tool=tool,
        serializer_class=planning.PlanSerializer,
        context={"parent": parent},
    )
    with run.step():
        created, kept = planning.write_planned(plan["tasks"], existing=existing, create=create)
        run.finish(_written(created, kept))


def refuse_done(task: Task, **arguments) -> None:
    if task.status == Task.Status.DONE:
        raise Conflict("This task is done: move it back to work to draft its brief again.")


DRAFTED = {"task": schema_ref("Task", "brief_draft: the task with its drafted brief.")}


@ai_job_kind(BoardJob.BRIEF_DRAFT, subject="task", check=refuse_done, result=DRAFTED)
def brief_draft(run: AIJobRun) -> None:
    """The model proposes the task's summary, approaches, recommended solution, acceptance
    criteria and test plan, from the task, its prompt (rendered) and the interview the prompt
    came from. They are written into the brief, its other parts kept. Nothing is approved: a
    new recommendation voids an approval of the plan, as any edit of it does."""
    task = Task.objects.select_related("project", "prompt__created_from_interview").get(
        pk=run.job.input["task"]
    )
    messages = [
        {"role": "system", "content": planning.DRAFTER_INSTRUCTIONS.format(tool=planning.BRIEF_TOOL.name)},
        {"role": "user", "content": _draft_request(task)},
    ]
    draft = planning.answer_with_tool(
        run,
        run.ai_model,
        messages=messages,
        tool=planning.BRIEF_TOOL,
        serializer_class=planning.BriefDraftSerializer,
    )
    with run.step():
        task = services.task_update(task=task, brief=planning.drafted_brief(draft))
        run.finish({"task": TaskSerializer(whole(task)).data})


def _draft_request(task: Task) -> str:
    parts = [
        _planning_context(task.project),
        f"The task: {task.title}\n{task.description}".strip(),
        f"Details: {task.details}" if task.details else "",
        f"Test strategy so far: {task.test_strategy}" if task.test_strategy else "",
    ]
    if task.prompt is not None:
        parts.append(f"The requirements it was planned from:\n{composition.compose(task.prompt)}")
        interview = task.prompt.created_from_interview
        if interview is not None and interview.conversation_data:
            turns = (f"{turn['role']}: {turn['content']}" for turn in interview.conversation_data)
            parts.append("The requirements interview:\n" + "\n".join(turns))
    return "\n\n".join(part for part in parts if part)


# What a complexity analysis answers.
SCORED = {
    "tasks": {
        "type": "array",
        "description": "complexity_analyze: each open task's score.",
        "items": {
            "type": "object",
            "properties": {
                "task": {"type": "string", "format": "uuid"},
                "title": {"type": "string"},
                "complexity": {"type": "integer", "minimum": 1, "maximum": 10},
                "reason": {"type": "string"},
                "expand": {"type": "boolean", "description": "Whether to split it into subtasks."},
            },
            "required": ["task", "title", "complexity", "reason", "expand"],
        },
    },
    "recommended": {
        "type": "array",
        "items": {"type": "string", "format": "uuid"},
        "description": "complexity_analyze: the tasks to expand.",
    },
}


@ai_job_kind(BoardJob.COMPLEXITY_ANALYZE, subject="project", result=SCORED)
def complexity_analyze(run: AIJobRun) -> None:
    """Every open task of the project scored 1-10 with a one-line reason; the scores are
    stored on the tasks, and the answer recommends which to expand."""
    project = Project.objects.get(pk=run.job.input["project"])
    open_tasks = list(Task.objects.filter(project=project).exclude(status=Task.Status.DONE).in_board_order())
    if not open_tasks:
        with run.step():
            run.finish({"tasks": [], "recommended": []})
        return
    listing = "\n\n".join(
        f"id: {task.pk}\ntitle: {task.title}\ndescription: {task.description}\ndetails: {task.details}"
        for task in open_tasks
    )
    messages = [
        {
            "role": "system",
            "content": "You estimate the complexity of software tasks, 1 (trivial) to 10 (very complex), "
            "with a one-line reason each, and say which should be split into subtasks. Answer by "
            "calling submit_complexity once with every task.",
        },
        {"role": "user", "content": f"{_planning_context(project)}\n\nTasks:\n\n{listing}"},
    ]
    answer = planning.answer_with_tool(
        run,
        run.ai_model,
        messages=messages,
        tool=planning.complexity_tool(open_tasks),
        serializer_class=planning.scores_serializer(open_tasks),
    )
    by_id = {task.pk: task for task in open_tasks}
    with run.step():
        scored = []
        for score in answer["tasks"]:
            task = services.task_update(task=by_id[score["task_id"]], complexity=score["complexity"])
            scored.append({"task": str(task.pk), "title": task.title, **score, "task_id": None})
        for row in scored:
            del row["task_id"]
        run.finish({"tasks": scored, "recommended": [row["task"] for row in scored if row["expand"]]})


def _written(created: list[Task], kept: list[Task]) -> dict:
    return {
        "created": TaskSerializer(created, many=True).data,
        "kept": TaskSerializer(kept, many=True).data,
    }
