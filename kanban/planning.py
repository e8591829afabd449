"""AI planning: a prompt broken into tasks, a task expanded into subtasks, every open task
scored for complexity. Each runs as a job (handlers in `kanban.jobs`).

The model answers through a tool call whose arguments follow a JSON schema; the arguments
are validated by a serializer here. An answer that fails validation is sent back once with
the complaint; a second failure fails the job, and nothing is written.
"""

import re
from collections.abc import Callable

from rest_framework import serializers

from aimodels.gateway import AIProviderError, ToolSpec
from core.exceptions import one_line
from core.tools import json_schema
from kanban.brief import LONG, SHORT, TEXT, ApproachSerializer, RecommendationSerializer
from kanban.models import Task

# Most tasks one plan (or one expansion) may write.
MAX_PLANNED_TASKS = 50

PLANNER_INSTRUCTIONS = (
    "You plan software work. Break the requirements you are given into concrete, independently "
    "testable tasks, in the order they should be done. For each: a short imperative title, a "
    "description, implementation details, a test strategy, a priority (low, medium, high, "
    "urgent), a complexity from 1 (trivial) to 10 (very complex), and the ids of the tasks of "
    "your plan it depends on. Answer by calling {tool} once with the whole plan."
)


DRAFTER_INSTRUCTIONS = (
    "You draft the brief of a software task before anyone works on it: a summary of the task, "
    "two or three possible approaches, the one you recommend with its primary, secondary and "
    "long-term reasons and its risks, measurable acceptance criteria and a test plan. You "
    "propose; a person decides. Answer by calling {tool} once."
)


class DraftedApproach(ApproachSerializer):
    strict = False


class DraftedRecommendation(RecommendationSerializer):
    strict = False


class BriefDraftSerializer(serializers.Serializer):
    """A drafted brief: the parts the model proposes, bounded as the brief's own (kanban.brief)."""

    summary = serializers.CharField(max_length=TEXT, help_text="The task in a few sentences.")
    approaches = serializers.ListField(
        child=DraftedApproach(), min_length=1, max_length=5, help_text="Two or three possible approaches."
    )
    recommendation = DraftedRecommendation(help_text="The approach you recommend, and why.")
    acceptance_criteria = serializers.ListField(
        child=serializers.CharField(max_length=SHORT),
        min_length=1,
        max_length=50,
        help_text="Measurable criteria, each one line.",
    )
    test_plan = serializers.CharField(max_length=LONG, help_text="How the work will be tested.")


def drafted_brief(draft: dict) -> dict:
    """A validated draft (BriefDraftSerializer's) as the brief's parts: no criterion met yet."""
    criteria = [{"text": text, "done": False} for text in draft["acceptance_criteria"]]
    return {**draft, "acceptance_criteria": criteria}


BRIEF_TOOL = ToolSpec(
    "submit_brief", "Submit the drafted brief of the task.", json_schema(BriefDraftSerializer())
)


def complexity_tool(open_tasks: list[Task]) -> ToolSpec:
    """The tool a complexity answer calls: every one of `open_tasks` scored once, by id."""
    ids = [str(task.pk) for task in open_tasks]
    score = {
        "type": "object",
        "properties": {
            "task_id": {"type": "string", "enum": ids},
            "complexity": {"type": "integer", "minimum": 1, "maximum": 10},
            "reason": {
                "type": "string",
                "minLength": 1,
                "maxLength": 500,
                "description": "One line: why this score.",
            },
            "expand": {"type": "boolean", "description": "Whether to split it into subtasks."},
        },
        "required": ["task_id", "complexity", "reason", "expand"],
    }
    tasks = {"type": "array", "items": score, "minItems": len(ids), "maxItems": len(ids)}
    return ToolSpec(
        "submit_complexity",
        "Submit a complexity score for every task you were given.",
        {"type": "object", "properties": {"tasks": tasks}, "required": ["tasks"]},
    )


def _plan_id(**kwargs) -> serializers.IntegerField:
    """A task's number in a plan: a plan has at most MAX_PLANNED_TASKS."""
    return serializers.IntegerField(min_value=1, max_value=MAX_PLANNED_TASKS, **kwargs)


class PlannedTaskSerializer(serializers.Serializer):
    id = _plan_id(help_text="This task's number in your plan.")
    title = serializers.CharField(max_length=255)
    description = serializers.CharField(allow_blank=True, required=False, default="")
    details = serializers.CharField(allow_blank=True, required=False, default="")
    test_strategy = serializers.CharField(allow_blank=True, required=False, default="")
    priority = serializers.ChoiceField(choices=Task.Priority.choices)
    complexity = serializers.IntegerField(min_value=1, max_value=10)
    dependencies = serializers.ListField(
        child=_plan_id(),
        max_length=MAX_PLANNED_TASKS - 1,
        required=False,
        default=list,
        help_text="The ids of tasks of this plan that must be done first, each once.",
    )

    def validate_dependencies(self, dependencies):
        return list(dict.fromkeys(dependencies))  # named twice is still one dependency


def _planned_tasks_tool(name: str, description: str) -> ToolSpec:
    """A tool whose one argument, `tasks`, is a list of planned tasks (PlanSerializer's)."""
    # The serializer's rules a schema can say, so that servers which constrain their output
    # to the schema (grammars) keep to them.
    task = json_schema(PlannedTaskSerializer())
    task["properties"]["dependencies"]["uniqueItems"] = True
    tasks = {"type": "array", "items": task, "minItems": 1, "maxItems": MAX_PLANNED_TASKS}
    return ToolSpec(
        name, description, {"type": "object", "properties": {"tasks": tasks}, "required": ["tasks"]}
    )


PLAN_TOOL = _planned_tasks_tool("submit_plan", "Submit the plan: the tasks, in the order to do them.")
SUBTASKS_TOOL = _planned_tasks_tool(
    "submit_subtasks", "Submit the subtasks of the task, in the order to do them."
)


class PlanSerializer(serializers.Serializer):
    """A plan: tasks with unique ids, depending only on other tasks of the plan, without a
    cycle. `validated_data["tasks"]` comes in an order where dependencies go first."""

    tasks = PlannedTaskSerializer(many=True, allow_empty=False, max_length=MAX_PLANNED_TASKS)

    def validate_tasks(self, tasks):
        by_id = {task["id"]: task for task in tasks}
        if len(by_id) != len(tasks):
            raise serializers.ValidationError("Each task needs its own id.")
        titles = [normalised_title(task["title"]) for task in tasks]
        if repeated := sorted({title for title in titles if titles.count(title) > 1}):
            raise serializers.ValidationError(
                f"Each task needs its own title; repeated: {', '.join(repeated)}."
            )
        if (parent := self.context.get("parent")) is not None and normalised_title(parent.title) in titles:
            raise serializers.ValidationError(
                f"A subtask repeats the task's own title ({parent.title!r}): name each part of the work."
            )
        for task in tasks:
            unknown = set(task["dependencies"]) - by_id.keys()
            if unknown:
                raise serializers.ValidationError(
                    f"Task {task['id']} depends on {sorted(unknown)}, which the plan does not have."
                )
            if task["id"] in task["dependencies"]:
                raise serializers.ValidationError(f"Task {task['id']} depends on itself.")
        ordered, placed = [], set()
        while len(ordered) < len(tasks):
            ready = [t for t in tasks if t["id"] not in placed and placed.issuperset(t["dependencies"])]
            if not ready:
                raise serializers.ValidationError("The dependencies form a cycle.")
            ordered += ready
            placed.update(t["id"] for t in ready)
        return ordered


class ScoreSerializer(serializers.Serializer):
    task_id = serializers.UUIDField()
    complexity = serializers.IntegerField(min_value=1, max_value=10)
    reason = serializers.CharField(max_length=500)
    expand = serializers.BooleanField()


def scores_serializer(open_tasks: list[Task]) -> type[serializers.Serializer]:
    """Validates a complexity answer: each of `open_tasks` scored exactly once."""
    wanted = {task.pk for task in open_tasks}

    class ScoresSerializer(serializers.Serializer):
        tasks = ScoreSerializer(many=True)

        def validate_tasks(self, scores):
            given = [score["task_id"] for score in scores]
            if len(set(given)) != len(given):
                raise serializers.ValidationError("Score each task once.")
            if missing := wanted - set(given):
                raise serializers.ValidationError(
                    f"Tasks not scored: {', '.join(map(str, sorted(missing)))}."
                )
            if unknown := set(given) - wanted:
                raise serializers.ValidationError(
                    f"Not tasks you were given: {', '.join(map(str, unknown))}."
                )
            return scores

    return ScoresSerializer


def answer_with_tool(
    run, ai_model, *, messages: list[dict], tool: ToolSpec, serializer_class, context=None
) -> dict:
    """The validated arguments of the model's call of `tool`, which it is made to call (the
    only answer it may give); an invalid answer goes back once with the complaint, a second
    one raises AIProviderError (the job fails, nothing written)."""
    messages = list(messages)
    for _attempt in range(2):
        completion = run.complete(ai_model, messages=messages, tools=[tool], tool_choice=tool.name)
        call = next((call for call in completion.tool_calls if call.name == tool.name), None)
        if call is None:
            complaint = f"Answer by calling {tool.name}."
            messages += [
                {"role": "assistant", "content": completion.text},
                {"role": "user", "content": complaint},
            ]
            continue
        answer = serializer_class(
            data=call.arguments if call.arguments is not None else [], context=context or {}
        )
        if answer.is_valid():
            return answer.validated_data
        complaint = one_line(answer.errors)
        messages += [
            {"role": "assistant", "content": completion.text, "tool_calls": [call]},
            {
                "role": "tool",
                "tool_call_id": call.id,
                "content": f"Invalid: {complaint} Call {tool.name} again.",
            },
        ]
    raise AIProviderError(
        f"AI model '{ai_model.name}' did not give a valid {tool.name} in two tries: {complaint}"
    )


def normalised_title(title: str) -> str:
    """What makes two titles the same task: case and spacing aside."""
    return re.sub(r"\s+", " ", title).strip().casefold()


def write_planned(
    planned: list[dict], *, existing: list[Task], create: Callable[..., Task]
) -> tuple[list, list]:
    """Create the planned tasks that `existing` does not already have (same title), in
    dependency order, their dependencies pointing at created or existing tasks.
    Answers `(created, kept)`."""
    known = {normalised_title(task.title): task for task in existing}
    by_plan_id, created, kept = {}, [], []
    for task in planned:
        match = known.get(normalised_title(task["title"]))
        if match is not None:
            by_plan_id[task["id"]] = match
            if match not in created and match not in kept:
                kept.append(match)
            continue
        fields = {
            name: task[name] for name in ("title", "description", "details", "test_strategy", "priority")
        }
        new = create(
            **fields,
            complexity=task["complexity"],
            dependencies=[by_plan_id[dependency] for dependency in task["dependencies"]],
        )
        by_plan_id[task["id"]] = known[normalised_title(new.title)] = new
        created.append(new)
    return created, kept
