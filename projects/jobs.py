"""The interview's and the prompt writer's model calls, run as jobs."""

from jobs.models import Job
from jobs.services import JobRun, handler
from projects import services
from projects.models import Interview, Prompt
from projects.serializers import InterviewSerializer, PromptSerializer

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


@handler(Job.Kind.INTERVIEW_MESSAGE)
def interview_reply(run: JobRun) -> None:
    """The interviewer's answer to the job's user turn, appended once."""
    interview = Interview.objects.get(pk=run.job.input["interview"])
    ai_model = run.ai_model
    completion = run.complete(
        ai_model,
        messages=[
            {"role": "system", "content": INTERVIEWER_INSTRUCTIONS},
            *services.transcript(interview, until_job=run.job.pk),
        ],
    )
    reply = services.required_text(ai_model, completion.text)
    with run.step():
        interview = services.interview_reply_append(
            interview=interview, job=run.job, content=reply, completion=completion, ai_model=run.answered_by
        )
        run.finish({"interview": InterviewSerializer(interview).data})


@handler(Job.Kind.PROMPT_GENERATE)
def prompt_write(run: JobRun) -> None:
    """A new prompt (version 1), stored with the job's success in one transaction."""
    interview = Interview.objects.select_related("project").get(pk=run.job.input["interview"])
    ai_model = run.ai_model
    lines = "\n\n".join(f"{m['role']}: {m['content']}" for m in services.transcript(interview))
    completion = run.complete(
        ai_model,
        messages=[
            {"role": "system", "content": PROMPT_WRITER_INSTRUCTIONS},
            {"role": "user", "content": lines},
        ],
    )
    content = services.required_text(ai_model, completion.text)
    with run.step():
        prompt: Prompt = services.prompt_create(
            project=interview.project,
            content=content,
            type=run.job.input.get("type") or "generated",
            created_from_interview=interview,
            generated_by_ai_model=run.answered_by.name,
        )
        run.finish({"prompt": PromptSerializer(prompt).data})
