"""A task's brief: the parts of the AI-driven task template ("Cursor-first") as structured data,
validated with bounds, and as the Markdown document an agent or a person reads, in the
template's section order.

    metadata -> summary -> strategic analysis (goal and constraints, approaches, the
    recommended solution with its reasons, risks) -> approval checkpoint -> project analysis
    (current state, code touchpoints) -> implementation plan (files to read first, rules,
    steps with a status, what runs in parallel, run commands) -> acceptance criteria ->
    test plan -> status and next steps -> deliverables

A write names the parts it changes; the others are kept (a checklist ticked alone keeps the
rest)."""

from rest_framework import serializers

SHORT, TEXT, LONG = 500, 4000, 16000
STEP_STATUSES = ["todo", "in_progress", "done", "blocked"]


def _text(limit: int = TEXT, **kwargs):
    return serializers.CharField(
        max_length=limit, allow_blank=True, required=False, trim_whitespace=False, **kwargs
    )


def _list(child, limit: int, **kwargs):
    return serializers.ListField(child=child, max_length=limit, required=False, **kwargs)


class Part(serializers.Serializer):
    """A part of the brief, or an item of one: a key it does not have is a 400 naming the key
    (a misspelt `acceptance_criterias` is not dropped without a word). `strict = False`
    drops such keys instead (what a model drafts: an extra `pros` is no reason to fail)."""

    strict = True

    def to_internal_value(self, data):
        if self.strict and isinstance(data, dict) and (unknown := sorted(set(data) - set(self.fields))):
            known = ", ".join(self.fields)
            raise serializers.ValidationError(
                {name: [f"Not a part of this; it has {known}."] for name in unknown}
            )
        return super().to_internal_value(data)


class ChecklistItemSerializer(Part):
    text = serializers.CharField(max_length=SHORT)
    done = serializers.BooleanField(default=False)


class StepSerializer(Part):
    text = serializers.CharField(max_length=TEXT)
    status = serializers.ChoiceField(choices=STEP_STATUSES, default="todo")


class ApproachSerializer(Part):
    name = serializers.CharField(max_length=200)
    description = _text()


class RecommendationSerializer(Part):
    solution = serializers.CharField(max_length=TEXT, help_text="The recommended solution.")
    primary_reason = _text(SHORT * 2)
    secondary_reason = _text(SHORT * 2)
    long_term_reason = _text(SHORT * 2)
    risks = _text(help_text="Risks and trade-offs.")


class MetadataSerializer(Part):
    owner = _text(200)
    repository = _text(SHORT)
    branch = _text(255)
    related_issues = _list(serializers.CharField(max_length=200), 20)


class BriefSerializer(Part):
    """Every part optional, and written null to clear it; lists bounded (checklists 50 items,
    approaches 5)."""

    metadata = MetadataSerializer(required=False, allow_null=True)
    summary = _text(help_text="The task in a few sentences.", allow_null=True)
    goal = _text(help_text="The goal and its constraints.", allow_null=True)
    approaches = _list(
        ApproachSerializer(), 5, help_text="Two or three possible approaches.", allow_null=True
    )
    recommendation = RecommendationSerializer(
        required=False, help_text="Approved by a person where the project requires it.", allow_null=True
    )
    current_state = _text(
        LONG, help_text="System overview, architecture, data contracts, environment, gaps.", allow_null=True
    )
    touchpoints = _list(
        serializers.CharField(max_length=SHORT), 50, help_text="Code touchpoints: paths.", allow_null=True
    )
    files_to_read = _list(serializers.CharField(max_length=SHORT), 50, allow_null=True)
    rules = _text(help_text="Development rules.", allow_null=True)
    steps = _list(
        StepSerializer(), 50, help_text="Implementation steps, each with its status.", allow_null=True
    )
    parallel = _text(help_text="What can run in parallel.", allow_null=True)
    run_commands = _list(
        serializers.CharField(max_length=SHORT), 20, help_text="Dev and run commands.", allow_null=True
    )
    acceptance_criteria = _list(
        ChecklistItemSerializer(), 50, help_text="Measurable, ticked when met.", allow_null=True
    )
    test_plan = _text(LONG, allow_null=True)
    next_steps = _text(help_text="Status and next steps.", allow_null=True)
    deliverables = _list(ChecklistItemSerializer(), 50, allow_null=True)

    def to_representation(self, brief):
        # The parts it has: a nullable field would show each missing one as null.
        return {name: value for name, value in super().to_representation(brief).items() if value is not None}


PARTS = list(BriefSerializer().fields)


def merged_brief(current: dict, changes: dict) -> dict:
    """The brief after a write naming `changes`' parts: each validated (a ValidationError
    naming the part and item), the parts not named kept; a part written null is cleared.
    Blank text, empty objects and empty lists are left out: a part written blank is cleared
    too, and a form sent back untouched with its empty fields changes nothing."""
    checked = BriefSerializer(data=changes)
    checked.is_valid(raise_exception=True)
    brief = {name: value for name, value in current.items() if name not in changes}
    for name, value in checked.validated_data.items():
        if name in changes and (value := pruned(value)) is not None:
            brief[name] = value
    return brief


def pruned(value, *, strip: bool = False):
    """`value` without blank strings, empty objects and empty lists, at any depth (None when
    nothing is left); with `strip`, strings without the whitespace around them (to compare
    two versions: trailing spaces are no change)."""
    if isinstance(value, str):
        return (value.strip() if strip else value) if value.strip() else None
    if isinstance(value, dict):
        items = ((key, pruned(item, strip=strip)) for key, item in value.items())
        return {key: item for key, item in items if item is not None} or None
    if isinstance(value, list):
        return [item for item in (pruned(item, strip=strip) for item in value) if item is not None] or None
    return value


def same(before, after) -> bool:
    """Whether two versions of a part say the same: blanks and surrounding whitespace aside."""
    return pruned(before, strip=True) == pruned(after, strip=True)


def _checklist(items) -> list[str]:
    return [f"- [{'x' if item.get('done') else ' '}] {item['text']}" for item in items]


def _paragraphs(*texts) -> list[str]:
    """Each text that says something, once, a blank line between them."""
    kept = list(dict.fromkeys(text.strip() for text in texts if text and text.strip()))
    return [line for n, text in enumerate(kept) for line in ([""] if n else []) + [text]]


def _approved(what: str, approval) -> str:
    who = approval.approved_by.get_username() if approval.approved_by else "someone"
    state = f"{what} was approved by {who} on {approval.created_at:%Y-%m-%d %H:%M} UTC."
    return state + (f" “{approval.comment}”" if approval.comment else "")


def brief_markdown(task, *, approvals=None, claim=None, waits_for=(), subtasks=()) -> str:
    """The task as the template's document. `approvals` are the live approvals by checkpoint
    (`plan`, `result`), `claim` the live claim, `waits_for` and `subtasks` rows of (id, title,
    status). The task's own description and test strategy stand beside the brief's summary
    and test plan, so drafting a brief never hides them."""
    brief = task.brief or {}
    meta = brief.get("metadata") or {}
    lines = [f"# {task.title}", "", "## Metadata", ""]
    lines += [
        f"- task: `{task.pk}`",
        f"- project: {task.project.name}",
        f"- status: {task.status}; priority: {task.priority}"
        + (f"; complexity: {task.complexity}" if task.complexity is not None else ""),
        f"- date: {task.created_at:%Y-%m-%d}",
    ]
    for key, label in (("owner", "owner"), ("repository", "repository"), ("branch", "branch")):
        if meta.get(key):
            lines.append(f"- {label}: {meta[key]}")
    if meta.get("related_issues"):
        lines.append(f"- related issues: {', '.join(meta['related_issues'])}")
    if task.parent_id:
        lines.append(f"- subtask of: {task.parent.title} (`{task.parent_id}`)")
    if claim is not None:
        lines.append(f"- claimed by {claim.holder} until {claim.expires_at:%Y-%m-%d %H:%M} UTC")

    def section(title: str, body: list[str]):
        if body:
            lines.extend(["", f"## {title}", "", *body])

    section("Task summary", _paragraphs(brief.get("summary"), task.description))
    strategy = []
    if brief.get("goal"):
        strategy += ["### Goal and constraints", "", brief["goal"], ""]
    if brief.get("approaches"):
        strategy += ["### Possible approaches", ""]
        strategy += [
            f"{n}. **{a['name']}**" + (f": {a['description']}" if a.get("description") else "")
            for n, a in enumerate(brief["approaches"], 1)
        ]
        strategy.append("")
    recommendation = brief.get("recommendation")
    if recommendation:
        strategy += ["### Recommended solution", "", recommendation["solution"], ""]
        for key, label in (
            ("primary_reason", "Primary"),
            ("secondary_reason", "Secondary"),
            ("long_term_reason", "Long-term"),
        ):
            if recommendation.get(key):
                strategy.append(f"- {label} reason: {recommendation[key]}")
        if recommendation.get("risks"):
            strategy += ["", "### Risks and trade-offs", "", recommendation["risks"]]
    section("Strategic analysis", [line for line in strategy] if strategy else [])
    policy = task.project.require_approval
    approvals = approvals or {}
    if policy != "off":  # the project's ApprovalPolicy
        if "plan" in approvals:
            state = _approved("The recommended solution", approvals["plan"])
        elif recommendation:
            state = "Proceed only after a person approves the recommended solution: not approved yet."
        else:
            state = "Work starts once a person approves the recommended solution: write one first."
        states = [state]
        if policy == "plan_and_done":
            states.append("")
            if "result" in approvals:
                states.append(_approved("The result", approvals["result"]))
            else:
                states.append(
                    "Done needs every acceptance criterion ticked and a person's approval of the result:"
                    " not approved yet."
                )
        section("Approval checkpoint", states)
    analysis = []
    if brief.get("current_state"):
        analysis += [brief["current_state"], ""]
    if brief.get("touchpoints"):
        analysis += ["Code touchpoints:", "", *[f"- `{path}`" for path in brief["touchpoints"]]]
    section("Project analysis and current state", analysis)
    plan = []
    if brief.get("files_to_read"):
        plan += ["Files to read first:", "", *[f"- `{path}`" for path in brief["files_to_read"]], ""]
    if brief.get("rules"):
        plan += ["Development rules:", "", brief["rules"], ""]
    if brief.get("steps"):
        plan += [f"{n}. [{step['status']}] {step['text']}" for n, step in enumerate(brief["steps"], 1)]
        plan.append("")
    if brief.get("parallel"):
        plan += ["In parallel:", "", brief["parallel"], ""]
    if brief.get("run_commands"):
        plan += ["Commands:", "", "```sh", *brief["run_commands"], "```"]
    if task.details:
        plan += ["", task.details] if plan else [task.details]
    section("Implementation plan", plan)
    section("Acceptance criteria", _checklist(brief.get("acceptance_criteria", [])))
    section("Test plan", _paragraphs(brief.get("test_plan"), task.test_strategy))
    status = [
        f"- [{'x' if state == 'done' else ' '}] waits for {title} (`{pk}`, {state})"
        for pk, title, state in waits_for
    ]
    status += [
        f"- [{'x' if state == 'done' else ' '}] subtask {title} (`{pk}`, {state})"
        for pk, title, state in subtasks
    ]
    if brief.get("next_steps"):
        status += ["", brief["next_steps"]] if status else [brief["next_steps"]]
    section("Status and next steps", status)
    section("Deliverables", _checklist(brief.get("deliverables", [])))
    if task.prompt_id:
        prompt = task.prompt
        section(
            "From the prompt",
            [f"{prompt} (`orchestrator://prompts/{prompt.lineage}@latest`, version `{prompt.pk}`)"],
        )
    # Sections end with a blank line and start after one: one between them is enough (the
    # brief's own text is one line of the list each, so its blank lines are kept as written).
    lines = [line for n, line in enumerate(lines) if line or not n or lines[n - 1]]
    return "\n".join(lines).rstrip() + "\n"
