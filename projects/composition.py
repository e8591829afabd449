"""Prompt composition: components in order, then the prompt's own content, joined by
blank lines, with `{{name}}` variables replaced.

A `{"prompt": <id>}` component renders that reusable prompt of the same project,
recursively; `{"prompt": <lineage>, "label": "production"}` renders the version of that
lineage the label points at (`latest`: its highest version). Cycles, references to foreign
or non-reusable prompts, and nesting deeper than MAX_DEPTH are refused, when rendering and
when components are written.

The work is bounded: one render expands at most `PROMPT_MAX_COMPONENT_REFERENCES`
references and yields at most `PROMPT_MAX_RENDERED_CHARS` characters (settings). Both
are checked as the text is built, so an over-cap prompt costs no more than the cap;
they are checked when a prompt is written and again when it is rendered, because a
reusable prompt it refers to may have grown since.
"""

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from rest_framework.exceptions import ValidationError

from projects.models import Prompt

MAX_DEPTH = 10
VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*\}\}")
SEPARATOR = "\n\n"


def reference(component: dict):
    """What a prompt component points at: a prompt id, or a (lineage, label) pair."""
    target = uuid.UUID(str(component["prompt"]))
    return (target, component["label"]) if "label" in component else target


def references(components: list) -> set:
    return {reference(component) for component in components if "prompt" in component}


def pointed_at(components: list) -> dict:
    """The prompts `components` point at, by their `reference` (those that exist)."""
    return _resolve(references(components))


def _described(ref) -> str:
    return f"{ref[0]} labelled {ref[1]!r}" if isinstance(ref, tuple) else str(ref)


def _too_long(field: str):
    return ValidationError(
        {
            field: [
                f"The rendered prompt would be longer than {settings.PROMPT_MAX_RENDERED_CHARS} characters."
            ]
        }
    )


@dataclass
class _Budget:
    """What one render may still spend."""

    references: int
    chars: int

    def spend_reference(self) -> None:
        self.references -= 1
        if self.references < 0:
            limit = settings.PROMPT_MAX_COMPONENT_REFERENCES
            raise ValidationError({"components": [f"Components expand to more than {limit} references."]})

    def spend_text(self, text: str) -> str:
        self.chars -= len(text) + len(SEPARATOR)
        if self.chars < -len(SEPARATOR):
            raise _too_long("components")
        return text


def _load_graph(root: Prompt) -> dict:
    """Every prompt reachable from `root` within MAX_DEPTH + 1 levels, by reference: a few
    queries per level (the ids, the labels, the latest versions)."""
    graph = {root.pk: root}
    frontier = references(root.components)
    for _ in range(MAX_DEPTH + 1):
        frontier -= graph.keys()
        if not frontier:
            break
        level = _resolve(frontier)
        graph.update(level)
        frontier = set().union(*(references(prompt.components) for prompt in level.values()))
    return graph


def _resolve(refs: set) -> dict:
    """The prompts `refs` point at (those that exist)."""
    from projects.models import LATEST, PromptLabel

    ids = {ref for ref in refs if not isinstance(ref, tuple)}
    labelled = {ref for ref in refs if isinstance(ref, tuple) and ref[1] != LATEST}
    latest = {ref[0] for ref in refs if isinstance(ref, tuple) and ref[1] == LATEST}
    found = {prompt.pk: prompt for prompt in Prompt.objects.filter(pk__in=ids)} if ids else {}
    if labelled:
        wanted = Q()
        for lineage, name in labelled:
            wanted |= Q(lineage=lineage, name=name)
        for label in PromptLabel.objects.filter(wanted).select_related("prompt"):
            found[(label.lineage, label.name)] = label.prompt
    if latest:
        for prompt in Prompt.objects.filter(lineage__in=latest).order_by("lineage", "version"):
            found[(prompt.lineage, LATEST)] = prompt  # the last one seen is the highest
    return found


def _compose(prompt: Prompt, graph: dict, path: list[uuid.UUID], project_id, budget: _Budget) -> str:
    if len(path) > MAX_DEPTH + 1:
        raise ValidationError({"components": [f"Components nest deeper than {MAX_DEPTH} levels."]})
    parts = []
    for component in prompt.components:
        if "text" in component:
            parts.append(budget.spend_text(component["text"]))
            continue
        ref = graph.get(reference(component))
        named = _described(reference(component))
        if ref is None or ref.project_id != project_id:
            raise ValidationError({"components": [f"Prompt {named} does not exist in this project."]})
        if not ref.is_reusable:
            raise ValidationError({"components": [f"Prompt {named} is not reusable."]})
        if ref.pk in path:
            raise ValidationError({"components": [f"Components form a cycle through prompt {named}."]})
        budget.spend_reference()
        parts.append(_compose(ref, graph, [*path, ref.pk], project_id, budget))
    if prompt.content:
        parts.append(budget.spend_text(prompt.content))
    return SEPARATOR.join(parts)


def compose(prompt: Prompt) -> str:
    """The prompt with its components expanded, variables left in place."""
    budget = _Budget(
        references=settings.PROMPT_MAX_COMPONENT_REFERENCES, chars=settings.PROMPT_MAX_RENDERED_CHARS
    )
    return _compose(prompt, _load_graph(prompt), [prompt.pk], prompt.project_id, budget)


def check_components(*, prompt: Prompt) -> None:
    """Refuse a prompt that could not be rendered (called before it is written)."""
    try:
        compose(prompt)
    except ValidationError as exc:
        if not prompt.components and isinstance(exc.detail, dict) and "components" in exc.detail:
            raise ValidationError({"content": exc.detail["components"]}) from None
        raise


def render(prompt: Prompt, variables: Mapping[str, object]) -> str:
    text = compose(prompt)
    names = VARIABLE.findall(text)
    missing = sorted({name for name in names if name not in variables})
    if missing:
        raise ValidationError({"variables": [f"Missing values for: {', '.join(missing)}."]})
    values = {name: str(value) for name, value in variables.items()}
    # Measured before it is built: a short text may repeat a long value many times.
    if len(text) + sum(len(values[name]) for name in names) > settings.PROMPT_MAX_RENDERED_CHARS:
        raise _too_long("variables")
    return VARIABLE.sub(lambda match: values[match.group(1)], text)
