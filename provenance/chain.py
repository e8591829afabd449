"""The provenance of a task (or of one of its commits), in the order the work happened:

    interview -> prompt version (the labels it has and had) -> the plan job -> the task (its
    brief, approvals, claims) -> chat sessions and their tool calls -> model calls with cost
    -> commits with their SHAs

Read in a fixed number of queries whatever the chain's length: the task with its prompt and
interview, then one query each for label moves, labels, approvals, claims, chat sessions,
their tool calls, the jobs, their model calls and the commits (`provenance/tests` counts them);
a commit's, as it was then, also reads the first change of the brief after the commit.
"""

from decimal import Decimal

from django.db.models import Prefetch, Q

from activity.models import Activity
from chat.models import ToolCall
from jobs.models import Job, ModelCall
from jobs.totals import known_total
from kanban.models import BoardJob, Commit, Task
from projects.models import InterviewJob, PromptLabel, PromptLabelMove

CLAIM_VERBS = (Activity.Verb.CLAIMED, Activity.Verb.RELEASED, Activity.Verb.CLAIM_BROKEN)


def task_provenance(task: Task, *, commit: Commit | None = None) -> dict:
    """The chain of `task` (fetched with `prompt__created_from_interview`). With `commit`, the
    chain up to that commit: steps after it are left out, and its commits are that one."""
    prompt = task.prompt
    interview = prompt.created_from_interview if prompt is not None else None
    until = {"created_at__lte": commit.timestamp} if commit is not None else {}
    jobs = [
        job
        for job in _jobs(task, prompt, interview).filter(**until)
        if _of_the_chain(job, task, prompt, commit)
    ]
    tool_calls = ToolCall.objects.filter(**until).order_by("created_at")
    chat_sessions = (
        task.chat_sessions.filter(**until)
        .order_by("created_at")
        .prefetch_related(Prefetch("tool_calls", queryset=tool_calls))
    )
    model_calls = list(
        ModelCall.objects.filter(job__in=[job.pk for job in jobs])
        .select_related("job")
        .order_by("created_at")
    )
    commits = [commit] if commit is not None else task.commits.order_by("timestamp")
    approvals = list(task.approvals.filter(**until).select_related("approved_by").order_by("created_at"))
    if commit is not None:
        task = _as_it_was(task, commit.timestamp)
        for approval in approvals:  # voided after the commit: live when it was made
            if approval.voided_at is not None and approval.voided_at > commit.timestamp:
                approval.voided_at, approval.void_reason = None, ""
    answered = [call for call in model_calls if call.error is None]  # a failed call costs nothing
    unpriced = [call for call in answered if call.cost is None]
    return {
        "interview": interview,
        "prompt": _prompt(prompt, until={"moved_at__lte": commit.timestamp} if commit is not None else {}),
        "plan_job": _plan_job(task, jobs),
        "task": {
            "task": task,
            "approvals": approvals,
            "claims": Activity.objects.filter(
                object_type="kanban.task", object_id=str(task.pk), verb__in=CLAIM_VERBS, **until
            )
            .select_related("actor")
            .order_by("id"),
        },
        "chat_sessions": chat_sessions,
        "jobs": jobs,
        "model_calls": model_calls,
        "cost": known_total(
            sum((call.cost for call in answered if call.cost is not None), Decimal(0)),
            answered=len(answered),
            unknown=len(unpriced),
        ),
        "unknown_cost_calls": len(unpriced),
        "commits": commits,
    }


def _as_it_was(task: Task, moment) -> Task:
    """`task` with the brief it had at `moment`: the one the first change of it after then
    changed from (read in the history), else the brief it has."""
    later = (
        Activity.objects.filter(
            object_type="kanban.task",
            object_id=str(task.pk),
            verb=Activity.Verb.CHANGED,
            created_at__gt=moment,
            changes__has_key="brief",
        )
        .order_by("id")
        .values_list("changes", flat=True)
        .first()
    )
    if later is not None:
        task.brief = later["brief"]["from"] or {}
    return task


def _jobs(task: Task, prompt, interview):
    """The jobs that may be of the chain, oldest first: the interview's turns and the prompts
    written from it, the plans (of the prompt, or the parent's expansions for a subtask) and
    the task's own (its expansion, brief drafts, agent turns, commit messages)."""
    mine = Q(task=task)
    if interview is not None:
        mine |= Q(
            kind__in=[InterviewJob.INTERVIEW_MESSAGE, InterviewJob.PROMPT_GENERATE],
            input__interview=str(interview.pk),
        )
    if task.parent_id is not None:
        mine |= Q(kind=BoardJob.TASK_EXPAND, task_id=task.parent_id)
    elif prompt is not None:
        mine |= Q(kind=BoardJob.TASK_PLAN, input__prompt=str(prompt.pk))
    return (
        Job.objects.filter(mine, project_id=task.project_id).select_related("ai_model").order_by("created_at")
    )


def _of_the_chain(job: Job, task: Task, prompt, commit: Commit | None) -> bool:
    """Whether `job` led to the task (or the commit): a plan or expansion that wrote or kept
    it, the prompt writing of its lineage, a commit message of that commit."""
    result = job.result or {}
    if job.kind == InterviewJob.PROMPT_GENERATE:
        return (result.get("prompt") or {}).get("lineage") == str(prompt.lineage)
    if job.kind == BoardJob.TASK_PLAN or (job.kind == BoardJob.TASK_EXPAND and job.task_id != task.pk):
        planned = [*result.get("created", []), *result.get("kept", [])]
        return any(row.get("id") == str(task.pk) for row in planned)
    if job.kind == BoardJob.COMMIT_GENERATE and commit is not None:
        return (result.get("commit") or {}).get("id") == str(commit.pk)
    return True


def _plan_job(task: Task, jobs: list[Job]) -> Job | None:
    """The planning job whose result created the task (the first, if later ones kept it)."""
    kind = BoardJob.TASK_EXPAND if task.parent_id else BoardJob.TASK_PLAN
    return next(
        (
            job
            for job in jobs
            if job.kind == kind
            and job.task_id != task.pk
            and any(row.get("id") == str(task.pk) for row in (job.result or {}).get("created", []))
        ),
        None,
    )


def _prompt(prompt, *, until: dict) -> dict | None:
    if prompt is None:
        return None
    return {
        "prompt": prompt,
        "labels": PromptLabel.objects.filter(prompt=prompt).values_list("name", flat=True),
        "label_moves": PromptLabelMove.objects.filter(Q(to_prompt=prompt) | Q(from_prompt=prompt), **until)
        .select_related("moved_by")
        .order_by("moved_at", "id"),
    }


def claim_holder(record: Activity) -> str:
    """Who a claim record is about: the holder that took it, or the one that let it go."""
    change = record.changes.get("claim") or {}
    return change.get("to") or change.get("from") or ""


def timeline(chain: dict) -> list[dict]:
    """The chain as admin shows it: one entry per step, `{at, what, text, url_name, id}`,
    in the order the work happened."""
    entries = []

    def add(at, what, text, url_name=None, pk=None):
        entries.append({"at": at, "what": what, "text": text, "url_name": url_name, "id": pk})

    if (interview := chain["interview"]) is not None:
        turns = len(interview.conversation_data)
        add(
            interview.created_at,
            "interview",
            f"{turns} turns",
            "admin:projects_interview_change",
            interview.pk,
        )
    if (prompt := chain["prompt"]) is not None:
        version = prompt["prompt"]
        labels = ", ".join(prompt["labels"]) or "no label now"
        add(version.created_at, "prompt", f"{version} ({labels})", "admin:projects_prompt_change", version.pk)
        for move in prompt["label_moves"]:
            who = move.moved_by.get_username() if move.moved_by else "someone"
            add(move.moved_at, "label", f"{move} by {who}")
    if (job := chain["plan_job"]) is not None:
        add(job.created_at, "plan", f"{job} by {job.ai_model or 'a model'}", "admin:jobs_job_change", job.pk)
    task = chain["task"]["task"]
    add(task.created_at, "task", task.title, "admin:kanban_task_change", task.pk)
    for approval in chain["task"]["approvals"]:
        who = approval.approved_by.get_username() if approval.approved_by else "someone"
        voided = (
            f", voided {approval.voided_at:%Y-%m-%d %H:%M}: {approval.void_reason}"
            if approval.voided_at
            else ""
        )
        add(approval.created_at, "approval", f"{approval.get_checkpoint_display()} approved by {who}{voided}")
    for claim in chain["task"]["claims"]:
        add(claim.created_at, "claim", f"{claim.get_verb_display()}: {claim_holder(claim)}")
    for session in chain["chat_sessions"]:
        calls = len(session.tool_calls.all())
        add(
            session.created_at,
            "chat",
            f"{session} ({calls} tool calls)",
            "admin:chat_chatsession_change",
            session.pk,
        )
    for call in chain["model_calls"]:
        cost = f"${call.cost}" if call.cost is not None else "cost unknown"
        add(call.created_at, "model call", f"{call.model} for {call.job.get_kind_display()}: {cost}")
    for commit in chain["commits"]:
        sha = f" {commit.sha[:12]}" if commit.sha else " (not committed in git yet)"
        add(commit.timestamp, "commit", f"{commit}{sha}", "admin:kanban_commit_change", commit.pk)
    return sorted(entries, key=lambda entry: entry["at"])
