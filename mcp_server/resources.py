"""MCP resources and prompts: a project's board, a task's brief and a prompt, in Markdown, and
the guide to working the board; each prompt lineage labelled `production` as an MCP prompt
(a slash command in the clients), its `{{variables}}` its arguments. Everything is the
caller's user's own: another user's ids are "not found", like ids that do not exist."""

import base64
import binascii
import re
import uuid

import mcp_types as types
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.text import slugify
from mcp.shared.exceptions import MCPError
from mcp_types.jsonrpc import INVALID_PARAMS

from core.exceptions import one_line
from kanban.markdown import board_markdown, task_markdown
from kanban.models import Task
from mcp_server.scopes import PROMPTS_SCOPE, READ_SCOPE
from projects.composition import VARIABLE, compose, render
from projects.models import Project, Prompt, PromptLabel
from projects.services import prompt_resolve

RESOURCE_NOT_FOUND = -32002  # the MCP specification's code for an unknown resource
PAGE_SIZE = 100
PRODUCTION = "production"
MARKDOWN = "text/markdown"

GUIDE_URI = "orchestrator://guide"
GUIDE = """# Working this board

You are one of possibly several coding agents working the same Kanban board. A claim keeps two
agents off the same task: take one before you work, and let it go when you stop.

1. **Pick**: `next_task(project_id)` answers the unblocked, not-started task with the highest
   priority that no one else holds (`list_projects` gives the project ids).
2. **Claim**: `claim_task(task_id)` gives you a lease (30 minutes unless `ttl_seconds` says
   otherwise). If someone else holds it you are told who and until when: pick another. Every
   call you make on the task renews your lease; claiming again does too.
3. **Read**: `get_task(task_id)` (or the resource `orchestrator://tasks/{id}`) has the brief,
   in the task template's order: summary, approaches and the recommended solution, the
   approval checkpoint, the implementation plan, acceptance criteria, test plan, what it
   waits for, its subtasks, its prompt.
4. **Plan**: where the project requires approval, a task starts only once a person has
   approved its recommended solution. Propose one with `update_task(task_id, brief=
   {"recommendation": {"solution": ..., "primary_reason": ..., "risks": ...}})` and ask a
   person to approve it (you cannot: `approve_task` is refused). Changing it later voids the
   approval.
5. **Start**: `move_task(task_id, "in_progress")`. A WIP limit, an unfinished dependency or an
   approval not given yet refuses the move, with the reason.
6. **Work**: write the code. Keep the brief current with `update_task(task_id, brief={...})`:
   a write names the parts it changes (`steps` with their status, `acceptance_criteria` ticked
   with `done`), the others are kept.
7. **Review**: `move_task(task_id, "review")` when the change is ready for a person to look at.
8. **Finish**: `complete_task(task_id)` moves it to done and ends your claim; a task with open
   subtasks cannot be done, nor, where the project asks it, one whose criteria are not all
   ticked and whose result a person has not approved. To stop without finishing,
   `release_task(task_id)`.
9. **Commit**: write the commit as a Conventional Commit (`feat(scope): ...`), or let
   `scripts/orchestrator-commit` write it from the staged diff; record the SHA git made with
   `record_commit(commit_id, sha, branch, repository)` (extended tools).

Tool errors are sentences saying what to do next; nothing is half-done when a call is refused.
"""

TEMPLATES = [
    types.ResourceTemplate(
        name="board",
        uri_template="orchestrator://projects/{project_id}/board",
        description="A project's board: columns with counts and WIP limits, cards with who holds them.",
        mime_type=MARKDOWN,
    ),
    types.ResourceTemplate(
        name="task",
        uri_template="orchestrator://tasks/{task_id}",
        description="A task as its brief, in the task template's order: summary, approaches and the "
        "recommended solution, approval, plan, acceptance criteria, dependencies, subtasks, prompt.",
        mime_type=MARKDOWN,
    ),
    types.ResourceTemplate(
        name="prompt",
        uri_template="orchestrator://prompts/{lineage}@{label}",
        description="A prompt of a lineage by label (production, latest...), composed with its components.",
        mime_type=MARKDOWN,
    ),
]

BOARD_URI = re.compile(r"^orchestrator://projects/(?P<id>[^/]+)/board$")
TASK_URI = re.compile(r"^orchestrator://tasks/(?P<id>[^/]+)$")
PROMPT_URI = re.compile(r"^orchestrator://prompts/(?P<lineage>[^@/]+)@(?P<label>[^@/]+)$")


def _not_found(uri: str) -> MCPError:
    return MCPError(RESOURCE_NOT_FOUND, "Resource not found", {"uri": uri[:300]})


def _uuid_or_none(value):
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


# Resource lists are paged by a cursor: the section listed (boards, then prompts, then tasks)
# and the last key of the page before (none: the section from its start), so a page is one
# query over an index whatever the depth.
SECTIONS = ("boards", "prompts", "tasks")


def _cursor(section: str, after) -> str:
    return base64.urlsafe_b64encode(f"{section}:{after}".encode()).decode()


def _uncursor(cursor: str | None) -> tuple[str, str | None]:
    if not cursor:
        return SECTIONS[0], None
    try:
        section, _, after = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
    except (binascii.Error, UnicodeError, ValueError):
        raise MCPError(INVALID_PARAMS, "Invalid cursor.") from None
    if section not in SECTIONS:
        raise MCPError(INVALID_PARAMS, "Invalid cursor.")
    return section, after or None


# What each section of the list needs of an OAuth token; a section it does not cover is left out.
SECTION_SCOPES = {"boards": READ_SCOPE, "prompts": PROMPTS_SCOPE, "tasks": READ_SCOPE}


def scope_of(uri: str) -> str | None:
    """The scope reading `uri` needs of an OAuth token (the guide needs none)."""
    if uri == GUIDE_URI:
        return None
    return PROMPTS_SCOPE if PROMPT_URI.match(uri) else READ_SCOPE


def _section(caller, section: str):
    """The section's rows in key order, each as (key, Resource)."""
    user = caller.user
    if section == "boards":
        rows = Project.objects.for_user(user).order_by("pk").values_list("pk", "name")
        return rows, lambda pk, name: types.Resource(
            name=f"board-{pk}",
            title=f"Board: {name}",
            uri=f"orchestrator://projects/{pk}/board",
            mime_type=MARKDOWN,
        )
    if section == "prompts":
        labels = PromptLabel.objects.for_user(user).order_by("pk")
        rows = labels.values_list("pk", "lineage", "name", "prompt__type", "prompt__version")
        return rows, lambda pk, lineage, name, kind, version: types.Resource(
            name=f"prompt-{lineage}@{name}",
            title=f"{kind or 'prompt'} @{name} (v{version})",
            uri=f"orchestrator://prompts/{lineage}@{name}",
            mime_type=MARKDOWN,
        )
    rows = Task.objects.for_user(user).order_by("pk").values_list("pk", "title")
    return rows, lambda pk, title: types.Resource(
        name=f"task-{pk}", title=title, uri=f"orchestrator://tasks/{pk}", mime_type=MARKDOWN
    )


def resource_list(caller, cursor: str | None) -> types.ListResourcesResult:
    section, after = _uncursor(cursor)
    listed = (
        []
        if cursor
        else [types.Resource(name="guide", title="How to work this board", uri=GUIDE_URI, mime_type=MARKDOWN)]
    )
    for name in SECTIONS[SECTIONS.index(section) :]:
        if not caller.allows(SECTION_SCOPES[name]):
            continue
        room = PAGE_SIZE - len(listed)
        if not room:  # the page is full at a section's start: the next page begins it
            return types.ListResourcesResult(resources=listed, next_cursor=_cursor(name, ""))
        rows, resource = _section(caller, name)
        if after is not None and name == section:
            try:
                rows = rows.filter(pk__gt=after)
            except (ValueError, DjangoValidationError):
                raise MCPError(INVALID_PARAMS, "Invalid cursor.") from None
        page = list(rows[: room + 1])
        more = len(page) > room
        page = page[:room]
        listed += [resource(*row) for row in page]
        if more:
            return types.ListResourcesResult(resources=listed, next_cursor=_cursor(name, page[-1][0]))
    return types.ListResourcesResult(resources=listed)


def _markdown(uri: str, text: str) -> types.ReadResourceResult:
    return types.ReadResourceResult(
        contents=[types.TextResourceContents(uri=uri, mime_type=MARKDOWN, text=text)]
    )


def resource_read(caller, uri: str) -> types.ReadResourceResult:
    if uri == GUIDE_URI:
        return _markdown(uri, GUIDE)
    if match := BOARD_URI.match(uri):
        pk = _uuid_or_none(match["id"])
        project = Project.objects.for_user(caller.user).filter(pk=pk).first() if pk else None
        if project is None:
            raise _not_found(uri)
        return _markdown(uri, board_markdown(project))
    if match := TASK_URI.match(uri):
        pk = _uuid_or_none(match["id"])
        task = (
            Task.objects.for_user(caller.user)
            .filter(pk=pk)
            .select_related("project", "parent", "prompt")
            .first()
            if pk
            else None
        )
        if task is None:
            raise _not_found(uri)
        return _markdown(uri, task_markdown(task))
    if match := PROMPT_URI.match(uri):
        lineage = _uuid_or_none(match["lineage"])
        prompts = Prompt.objects.for_user(caller.user)
        prompt = prompt_resolve(prompts, lineage=lineage, label=match["label"]) if lineage else None
        if prompt is None:
            raise _not_found(uri)
        return _markdown(uri, _composed(prompt))
    raise _not_found(uri)


def _composed(prompt: Prompt) -> str:
    try:
        return compose(prompt)
    except DjangoValidationError as exc:  # a component gone, a cycle, too long
        raise MCPError(INVALID_PARAMS, f"The prompt cannot be composed: {one_line(exc.messages)}") from None


# Prompts: each production-labelled lineage, named `<type>-<first 8 hex of the lineage>`.


def _prompt_name(prompt: Prompt) -> str:
    return f"{slugify(prompt.type or 'prompt')[:40] or 'prompt'}-{prompt.lineage.hex[:8]}"


def _variables(prompt: Prompt) -> list[str]:
    try:
        return sorted(set(VARIABLE.findall(compose(prompt))))
    except DjangoValidationError:
        return []


def _production(caller):
    labels = PromptLabel.objects.for_user(caller.user).filter(name=PRODUCTION).order_by("pk")
    return labels.select_related("prompt", "project")


def prompt_list(caller, cursor: str | None) -> types.ListPromptsResult:
    labels = _production(caller)
    if cursor:
        try:
            labels = labels.filter(pk__gt=int(base64.urlsafe_b64decode(cursor.encode()).decode()))
        except (binascii.Error, UnicodeError, ValueError):
            raise MCPError(INVALID_PARAMS, "Invalid cursor.") from None
    page = list(labels[: PAGE_SIZE + 1])
    prompts = [
        types.Prompt(
            name=_prompt_name(label.prompt),
            title=f"{label.project.name}: {label.prompt.type or 'prompt'} (v{label.prompt.version})",
            description=(label.prompt.content.strip().splitlines() or [""])[0][:200],
            arguments=[types.PromptArgument(name=name, required=True) for name in _variables(label.prompt)],
        )
        for label in page[:PAGE_SIZE]
    ]
    more = len(page) > PAGE_SIZE
    next_cursor = base64.urlsafe_b64encode(str(page[PAGE_SIZE - 1].pk).encode()).decode() if more else None
    return types.ListPromptsResult(prompts=prompts, next_cursor=next_cursor)


def prompt_get(caller, name: str, arguments: dict) -> types.GetPromptResult:
    chosen = next((label.prompt for label in _production(caller) if _prompt_name(label.prompt) == name), None)
    if chosen is None:
        raise MCPError(INVALID_PARAMS, f"Prompt {name[:100]!r} not found.")
    try:
        text = render(chosen, {key: str(value) for key, value in arguments.items()})
    except DjangoValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        raise MCPError(INVALID_PARAMS, one_line(detail)) from None
    return types.GetPromptResult(
        description=f"{chosen.type or 'prompt'} v{chosen.version}",
        messages=[types.PromptMessage(role="user", content=types.TextContent(type="text", text=text))],
    )
