"""Prompt composition: components in order, then the prompt's own content, joined by
blank lines, with `{{name}}` variables replaced.

A `{"prompt": <id>}` component renders that reusable prompt of the same project,
recursively. Cycles, references to foreign or non-reusable prompts, and nesting
deeper than MAX_DEPTH are refused, when rendering and when components are written.
"""

import re
import uuid
from collections.abc import Mapping

from rest_framework.exceptions import ValidationError

from projects.models import Prompt

MAX_DEPTH = 10
VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*\}\}")


def referenced_ids(components: list) -> set[uuid.UUID]:
    return {uuid.UUID(str(component["prompt"])) for component in components if "prompt" in component}


def _load_graph(root: Prompt) -> dict[uuid.UUID, Prompt]:
    """Every prompt reachable from `root` within MAX_DEPTH + 1 levels: one query per level."""
    graph = {root.pk: root}
    frontier = referenced_ids(root.components)
    for _ in range(MAX_DEPTH + 1):
        frontier -= graph.keys()
        if not frontier:
            break
        level = {prompt.pk: prompt for prompt in Prompt.objects.filter(pk__in=frontier)}
        graph.update(level)
        frontier = set().union(*(referenced_ids(prompt.components) for prompt in level.values()))
    return graph


def _compose(prompt: Prompt, graph: dict, path: list[uuid.UUID], project_id) -> str:
    if len(path) > MAX_DEPTH + 1:
        raise ValidationError({"components": [f"Components nest deeper than {MAX_DEPTH} levels."]})
    parts = []
    for component in prompt.components:
        if "text" in component:
            parts.append(component["text"])
            continue
        ref_id = uuid.UUID(str(component["prompt"]))
        ref = graph.get(ref_id)
        if ref is None or ref.project_id != project_id:
            raise ValidationError({"components": [f"Prompt {ref_id} does not exist in this project."]})
        if not ref.is_reusable:
            raise ValidationError({"components": [f"Prompt {ref_id} is not reusable."]})
        if ref_id in path:
            raise ValidationError({"components": [f"Components form a cycle through prompt {ref_id}."]})
        parts.append(_compose(ref, graph, [*path, ref_id], project_id))
    if prompt.content:
        parts.append(prompt.content)
    return "\n\n".join(parts)


def compose(prompt: Prompt) -> str:
    """The prompt with its components expanded, variables left in place."""
    return _compose(prompt, _load_graph(prompt), [prompt.pk], prompt.project_id)


def check_components(*, prompt: Prompt) -> None:
    """Refuse components that could not be rendered (called before they are written)."""
    if referenced_ids(prompt.components):
        compose(prompt)


def render(prompt: Prompt, variables: Mapping[str, object]) -> str:
    text = compose(prompt)
    missing = sorted({name for name in VARIABLE.findall(text) if name not in variables})
    if missing:
        raise ValidationError({"variables": [f"Missing values for: {', '.join(missing)}."]})
    return VARIABLE.sub(lambda match: str(variables[match.group(1)]), text)
