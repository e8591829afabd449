from django.db import transaction
from django.db.models import Max

from projects.models import Interview, Project, Prompt


def _lock_lineage(lineage) -> None:
    """Serialise writers of one lineage.

    Locks the lineage's rows so two concurrent new versions cannot both read
    the same highest version number and collide on the unique constraint.
    """
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
    prompt.save()
    return prompt
