"""The interview's and the prompt writer's model calls, run as jobs."""

from rest_framework.exceptions import ValidationError

from aimodels.calls import AIJobRun, ai_job_kind
from jobs.services import schema_ref
from projects import services
from projects.models import Interview, InterviewJob, Prompt
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


def _plain(text: str) -> str:
    return " ".join(text.split()).casefold()


def asks_a_question(completion) -> str | None:
    """An interviewer's turn, while the interview is open, asks the next question."""
    if not completion.text.strip():
        return "Answer with your next question."
    if "?" not in completion.text:
        return "Ask the user your next question: one clear question, ending with a question mark."
    return None


def writes_a_prompt(completion, *, transcript: str) -> str | None:
    """A prompt is written from the interview, not copied out of it; a complaint otherwise."""
    text = _plain(completion.text)
    if not text:
        return "Answer with the prompt text."
    if completion.truncated:
        return "That was cut off at the token limit; write a shorter prompt."
    if text in _plain(transcript):
        return (
            "That repeats the interview. Write the prompt itself: the goal, the context, the "
            "requirements as a list, constraints and acceptance criteria."
        )
    return None


def refuse_empty_interview(interview: Interview, **arguments) -> None:
    if not interview.conversation_data:
        raise ValidationError({"interview": ["The interview has no messages yet."]})


@ai_job_kind(
    InterviewJob.INTERVIEW_MESSAGE,
    subject="interview",
    prepare=services.interview_append_user_turn,
    prepared=("content",),
    result={"interview": schema_ref("Interview", "interview_message: the interview with both turns.")},
)
def interview_reply(run: AIJobRun) -> None:
    """The interviewer's answer to the job's user turn (`content`, stored with the job; it
    stays when the model fails), appended once."""
    interview = Interview.objects.get(pk=run.job.input["interview"])
    completion = run.complete_checked(
        run.ai_model,
        messages=[
            {"role": "system", "content": INTERVIEWER_INSTRUCTIONS},
            *services.transcript(interview, until_job=run.job.pk),
        ],
        check=asks_a_question,
    )
    reply = completion.text.strip()
    with run.step():
        interview = services.interview_reply_append(
            interview=interview, job=run.job, content=reply, completion=completion, ai_model=run.answered_by
        )
        run.finish({"interview": InterviewSerializer(interview).data})


WRITTEN = {"prompt": schema_ref("Prompt", "prompt_generate: the new prompt.")}


@ai_job_kind(InterviewJob.PROMPT_GENERATE, subject="interview", check=refuse_empty_interview, result=WRITTEN)
def prompt_write(run: AIJobRun) -> None:
    """A new prompt (version 1) written from the interview's transcript (`type` optional),
    stored with the job's success in one transaction."""
    interview = Interview.objects.select_related("project").get(pk=run.job.input["interview"])
    lines = "\n\n".join(f"{m['role']}: {m['content']}" for m in services.transcript(interview))
    completion = run.complete_checked(
        run.ai_model,
        messages=[
            {"role": "system", "content": PROMPT_WRITER_INSTRUCTIONS},
            {"role": "user", "content": lines},
        ],
        check=lambda completion: writes_a_prompt(completion, transcript=lines),
    )
    content = completion.text.strip()
    with run.step():
        prompt: Prompt = services.prompt_create(
            project=interview.project,
            content=content,
            type=run.job.input.get("type") or "generated",
            created_from_interview=interview,
            generated_by_ai_model=run.answered_by.name,
        )
        run.finish({"prompt": PromptSerializer(prompt).data})
