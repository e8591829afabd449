import difflib

from django.db import transaction
from django.db.models import Max

from orchestrator.exceptions import Conflict
from projects import composition
from projects.models import Interview, Project, Prompt


def _lock_lineage(lineage) -> None:
    # Locks every version of the lineage: two writers can then neither read the
    # same highest version (and collide on the next number) nor edit a version
    # while a newer one is being created.
    list(Prompt.objects.select_for_update().filter(lineage=lineage).values_list("pk", flat=True))


@transaction.atomic
def prompt_create(
    *,
    project: Project,
    content: str = "",
    type: str = "",
    is_reusable: bool = False,
    components: list | None = None,
    parent: Prompt | None = None,
    created_from_interview: Interview | None = None,
) -> Prompt:
    """A new prompt; with a `parent`, the next version of the parent's lineage."""
    version = 1
    if parent is not None:
        _lock_lineage(parent.lineage)
        version = Prompt.objects.filter(lineage=parent.lineage).aggregate(last=Max("version"))["last"] + 1
    prompt = Prompt(
        project=project,
        content=content,
        type=type,
        is_reusable=is_reusable,
        components=components or [],
        parent=parent,
        created_from_interview=created_from_interview,
        version=version,
    )
    prompt.full_clean(validate_constraints=False)  # the database enforces them
    composition.check_components(prompt=prompt)
    prompt.save()
    return prompt


def prompt_create_version(*, prompt: Prompt, **changes) -> Prompt:
    """The next version of `prompt`'s lineage; fields not in `changes` carry over from `prompt`."""
    carried = {
        "content": prompt.content,
        "components": prompt.components,
        "type": prompt.type,
        "is_reusable": prompt.is_reusable,
        "created_from_interview": prompt.created_from_interview,
    }
    return prompt_create(project=prompt.project, parent=prompt, **{**carried, **changes})


def prompt_restore(*, prompt: Prompt) -> Prompt:
    """A new latest version carrying `prompt`'s content and components."""
    return prompt_create_version(prompt=prompt)


HISTORY_FIELDS = ("content", "components")


@transaction.atomic
def prompt_update(*, prompt: Prompt, **fields) -> Prompt:
    """Change a prompt; its content and components are history once a newer version exists."""
    if any(name in fields and fields[name] != getattr(prompt, name) for name in HISTORY_FIELDS):
        _lock_lineage(prompt.lineage)
        if Prompt.objects.filter(lineage=prompt.lineage, version__gt=prompt.version).exists():
            raise Conflict(
                f"Version {prompt.version} has newer versions and its content is history; "
                "create a new version instead."
            )
    for name, value in fields.items():
        setattr(prompt, name, value)
    prompt.full_clean(validate_constraints=False)
    composition.check_components(prompt=prompt)
    prompt.save()
    return prompt


def prompt_diff(*, prompt: Prompt, other: Prompt) -> str:
    """A unified diff from `prompt`'s content to `other`'s."""
    return "".join(
        difflib.unified_diff(
            prompt.content.splitlines(keepends=True),
            other.content.splitlines(keepends=True),
            fromfile=f"{prompt.pk} (v{prompt.version})",
            tofile=f"{other.pk} (v{other.version})",
        )
    )
