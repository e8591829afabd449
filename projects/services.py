import difflib

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from aimodels.gateway import AIProviderError, complete
from aimodels.models import AIModel
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
        if prompt.has_newer_versions():
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


INTERVIEWER_INSTRUCTIONS = (
    "You are a requirements interviewer for a software project. Ask one clear question at a "
    "time to learn the goals, users, scope, constraints and acceptance criteria. When something "
    "is vague, ask for an example. Keep answers short."
)
PROMPT_WRITER_INSTRUCTIONS = (
    "Turn the requirements interview below into one self-contained prompt that an AI coding "
    "assistant can follow: the goal, the context, the requirements as a list, constraints and "
    "acceptance criteria. Answer with the prompt text only."
)


def _entry(role: str, content: str, **extra) -> dict:
    return {"role": role, "content": content, "created_at": timezone.now().isoformat(), **extra}


def _transcript(interview: Interview) -> list[dict]:
    return [{"role": entry["role"], "content": entry["content"]} for entry in interview.conversation_data]


def _required_text(ai_model: AIModel, text: str) -> str:
    if not text.strip():
        raise AIProviderError(f"AI model '{ai_model.name}' gave an empty answer.")
    return text.strip()


@transaction.atomic
def _interview_append(*, interview: Interview, entry: dict, ai_model: AIModel | None = None) -> Interview:
    # The row lock keeps two turns of one interview from overwriting each other's transcript.
    interview = Interview.objects.select_for_update().get(pk=interview.pk)
    if ai_model is None and interview.status != Interview.Status.ACTIVE:
        raise Conflict(f"The interview is {interview.status}; it takes no new messages.")
    interview.conversation_data = [*interview.conversation_data, entry]
    if ai_model is not None:
        interview.ai_model_used = ai_model.name
    interview.save(update_fields=["conversation_data", "ai_model_used", "updated_at"])
    return interview


def interview_send(*, interview: Interview, content: str, ai_model: AIModel) -> Interview:
    """Append the user's message, ask the model, append its reply.

    The user's message is committed before the provider is called, and stays when the call fails.
    """
    interview = _interview_append(interview=interview, entry=_entry("user", content))
    completion = complete(
        ai_model, messages=[{"role": "system", "content": INTERVIEWER_INSTRUCTIONS}, *_transcript(interview)]
    )
    reply = _required_text(ai_model, completion.text)
    entry = _entry("assistant", reply, finish_reason=completion.finish_reason, truncated=completion.truncated)
    return _interview_append(interview=interview, entry=entry, ai_model=ai_model)


@transaction.atomic
def interview_finish(*, interview: Interview, status: str) -> Interview:
    """Complete or cancel an active interview."""
    interview = Interview.objects.select_for_update().get(pk=interview.pk)
    if interview.status != Interview.Status.ACTIVE:
        raise Conflict(f"The interview is already {interview.status}.")
    interview.status = status
    interview.save(update_fields=["status", "updated_at"])
    return interview


def prompt_generate(*, interview: Interview, ai_model: AIModel, type: str = "") -> Prompt:
    """A new prompt (version 1) written by the model from the interview's transcript."""
    if not interview.conversation_data:
        raise ValidationError({"interview": ["The interview has no messages yet."]})
    transcript = "\n\n".join(f"{entry['role']}: {entry['content']}" for entry in _transcript(interview))
    completion = complete(
        ai_model,
        messages=[
            {"role": "system", "content": PROMPT_WRITER_INSTRUCTIONS},
            {"role": "user", "content": transcript},
        ],
    )
    content = _required_text(ai_model, completion.text)
    return prompt_create(
        project=interview.project, content=content, type=type or "generated", created_from_interview=interview
    )
