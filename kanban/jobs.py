"""The commit writer's model calls, run as a job."""

import json

from aimodels.gateway import AIProviderError
from jobs.models import Job
from jobs.services import JobRun, handler
from kanban.conventional import CommitMessageError, commit_fields, unwrap
from kanban.models import Commit, Task
from kanban.serializers import CommitSerializer

COMMIT_WRITER_INSTRUCTIONS = (
    "You write git commit messages that follow Conventional Commits 1.0: "
    "'<type>[(<scope>)][!]: <description>', then optionally a blank line and a body, then "
    "optionally a blank line and footers such as 'BREAKING CHANGE: <what breaks>'. "
    "The type is one of: feat, fix, docs, style, refactor, test, chore, perf, build, ci, revert. "
    "Answer with the commit message only."
)

TRUNCATED_COMMIT = "The answer was cut off at the token limit; write a shorter commit message."


@handler(Job.Kind.COMMIT_GENERATE)
def commit_write(run: JobRun) -> None:
    """A commit whose message the model writes from the task and its changes.

    The message is taken out of the wrappers models put around it (see `conventional.unwrap`).
    An invalid or truncated message is sent back once with the complaint; a second one fails
    the job (ai_provider_error, 502), and nothing is stored.
    """
    task = Task.objects.get(pk=run.job.input["task"])
    changes = run.job.input["changes"]
    ai_model = run.ai_model
    messages = [
        {"role": "system", "content": COMMIT_WRITER_INSTRUCTIONS},
        {
            "role": "user",
            "content": (
                f"Task: {task.title}\n\n{task.description}\n\nChanges:\n{json.dumps(changes, indent=2)}"
            ),
        },
    ]
    for _attempt in range(2):
        completion = run.complete(ai_model, messages=messages)
        answer, message = completion.text, unwrap(completion.text)
        try:
            if completion.truncated:
                raise CommitMessageError(TRUNCATED_COMMIT)
            fields = commit_fields(message)
        except CommitMessageError as exc:
            complaint = str(exc)
            messages += [
                {"role": "assistant", "content": answer},
                {
                    "role": "user",
                    "content": f"That is not a valid Conventional Commit: {complaint} "
                    "Answer with the corrected commit message only.",
                },
            ]
            continue
        with run.step():
            commit = Commit.objects.create(
                task=task, message=message, changes=changes, created_by_ai_model=ai_model.name, **fields
            )
            run.finish({"commit": CommitSerializer(commit).data})
        return
    raise AIProviderError(
        f"AI model '{ai_model.name}' did not write a valid Conventional Commit in two tries: {complaint}"
    )
