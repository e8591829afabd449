import difflib

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from core.exceptions import Conflict
from core.history import current, record
from jobs.models import Job
from jobs.services import refuse_while_answering
from projects import composition
from projects.models import LATEST, Interview, InterviewJob, Project, Prompt, PromptLabel, PromptLabelMove

# A prompt's references, checked by the database rather than by a query each in full_clean
# (the database enforces uniqueness and constraints too); Prompt.clean checks their project.
REFERENCES = ["project", "parent", "created_from_interview", "created_by"]


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
    generated_by_ai_model: str = "",
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
        generated_by_ai_model=generated_by_ai_model,
        version=version,
        created_by=current().actor,
    )
    prompt.full_clean(exclude=REFERENCES, validate_unique=False, validate_constraints=False)
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
        if prompt.has_newer_versions():
            raise Conflict(
                f"Version {prompt.version} has newer versions and its content is history; "
                "create a new version instead."
            )
    for name, value in fields.items():
        setattr(prompt, name, value)
    prompt.full_clean(exclude=REFERENCES, validate_unique=False, validate_constraints=False)
    composition.check_components(prompt=prompt)
    prompt.save()
    return prompt


def _refuse_latest(name: str) -> None:
    if name == LATEST:
        raise ValidationError({"label": [f"'{LATEST}' always means the highest version; it is not moved."]})


@transaction.atomic
def prompt_label_move(*, prompt: Prompt, name: str, user=None) -> PromptLabel:
    """Point label `name` of the prompt's lineage at `prompt`, recording the move (who, when,
    from, to) in the same transaction. Writers of one lineage's labels take turns."""
    _refuse_latest(name)
    _lock_lineage(prompt.lineage)
    label = PromptLabel.objects.filter(lineage=prompt.lineage, name=name).select_related("prompt").first()
    before = label.prompt if label is not None else None
    if before == prompt:
        return label
    if label is None:
        label = PromptLabel(project=prompt.project, lineage=prompt.lineage, name=name, prompt=prompt)
    label.prompt = prompt
    label.save()
    _record_move(prompt.project, prompt.lineage, name, before, prompt, user)
    return label


@transaction.atomic
def prompt_label_remove(*, lineage, name: str, user=None) -> bool:
    """Remove label `name` from a lineage, recording it; whether there was one."""
    _refuse_latest(name)
    _lock_lineage(lineage)
    label = PromptLabel.objects.filter(lineage=lineage, name=name).select_related("prompt", "project").first()
    if label is None:
        return False
    label.delete()
    _record_move(label.project, lineage, name, label.prompt, None, user)
    return True


def _record_move(project, lineage, name, before: Prompt | None, after: Prompt | None, user) -> None:
    record(
        after or before,
        "label_moved",
        {
            "label": name,
            "version": {"from": before.version if before else None, "to": after.version if after else None},
        },
    )
    PromptLabelMove.objects.create(
        project=project,
        lineage=lineage,
        name=name,
        from_prompt=before,
        from_version=before.version if before else None,
        to_prompt=after,
        to_version=after.version if after else None,
        moved_by=user if user is not None and user.is_authenticated else None,
    )


def prompt_resolve(prompts, *, lineage, label: str = LATEST) -> Prompt | None:
    """The version of `lineage` that `label` points at, among `prompts` (a user's, say)."""
    versions = prompts.filter(lineage=lineage)
    if label == LATEST:
        return versions.order_by("-version").first()
    return versions.filter(labels__name=label).first()


NO_NEWLINE = "\\ No newline at end of file\n"


def _diff_lines(content: str) -> list[str]:
    """Lines for difflib, each ending in a newline; a last line without one is marked the
    way `diff -u` marks it, so it is never glued to the next line of the diff."""
    lines = content.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n" + NO_NEWLINE
    return lines


def prompt_diff(*, prompt: Prompt, other: Prompt) -> str:
    """A unified diff from `prompt`'s content to `other`'s, as `diff -u` writes it."""
    return "".join(
        difflib.unified_diff(
            _diff_lines(prompt.content),
            _diff_lines(other.content),
            fromfile=f"{prompt.pk} (v{prompt.version})",
            tofile=f"{other.pk} (v{other.version})",
        )
    )


def _entry(role: str, content: str, **extra) -> dict:
    return {"role": role, "content": content, "created_at": timezone.now().isoformat(), **extra}


def transcript(interview: Interview, *, until_job=None) -> list[dict]:
    """The conversation as model messages; with `until_job`, up to that job's user turn."""
    messages = []
    for entry in interview.conversation_data:
        messages.append({"role": entry["role"], "content": entry["content"]})
        if until_job is not None and entry.get("job") == str(until_job) and entry["role"] == "user":
            break
    return messages


@transaction.atomic
def interview_append_user_turn(job: Job, interview: Interview, *, content: str) -> None:
    """The user's turn of an interview job, stored with the job (its `prepare`): refused
    once the interview is over, or while the interviewer is still answering."""
    # The row lock keeps two turns from overwriting each other's transcript.
    interview = Interview.objects.select_for_update().get(pk=interview.pk)
    if interview.status != Interview.Status.ACTIVE:
        raise Conflict(f"The interview is {interview.status}; it takes no new messages.")
    refuse_while_answering(
        InterviewJob.INTERVIEW_MESSAGE,
        interview=interview.pk,
        but=job,
        who="The interviewer",
        then="send the next one",
    )
    interview.conversation_data = [*interview.conversation_data, _entry("user", content, job=str(job.pk))]
    interview.save(update_fields=["conversation_data", "updated_at"])


def interview_reply_append(
    *, interview: Interview, job: Job, content: str, completion, ai_model
) -> Interview:
    """Append the model's reply to the job's turn, once: a reply already there is kept.
    Call inside the job's step (a transaction)."""
    interview = Interview.objects.select_for_update().get(pk=interview.pk)
    if not any(e.get("job") == str(job.pk) and e["role"] == "assistant" for e in interview.conversation_data):
        entry = _entry(
            "assistant",
            content,
            job=str(job.pk),
            finish_reason=completion.finish_reason,
            truncated=completion.truncated,
        )
        interview.conversation_data = [*interview.conversation_data, entry]
        interview.ai_model_used = ai_model.name
        interview.save(update_fields=["conversation_data", "ai_model_used", "updated_at"])
    return interview


@transaction.atomic
def interview_finish(*, interview: Interview, status: str) -> Interview:
    """Complete or cancel an active interview."""
    interview = Interview.objects.select_for_update().get(pk=interview.pk)
    if interview.status != Interview.Status.ACTIVE:
        raise Conflict(f"The interview is already {interview.status}.")
    then = "close the interview (or cancel the job first)"
    refuse_while_answering(
        InterviewJob.INTERVIEW_MESSAGE, interview=interview.pk, who="The interviewer", then=then
    )
    interview.status = status
    interview.save(update_fields=["status", "updated_at"])
    return interview
