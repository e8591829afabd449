"""The model test, run as a job."""

import re
import time

from aimodels.calls import AIJobRun, ai_job_kind
from aimodels.gateway import AIProviderError, AIProviderTimeout
from jobs.models import Job

TEST_PROMPT = "Reply with the single word: ok"
# A working model answers "ok", perhaps with punctuation or quotes; anything longer is not an answer.
TEST_ANSWER = re.compile(r"^\W*ok\W*$", re.IGNORECASE)


@ai_job_kind(Job.Kind.AI_MODEL_TEST, subject="ai_model")
def model_test(run: AIJobRun) -> None:
    """One tiny call: `{"test": {"ok", "latency_ms", "error"}}`, the error a short fixed sentence.

    Start it with `job_start(Job.Kind.AI_MODEL_TEST, subject=model, ai_model=model, owner=...)`."""
    started = time.monotonic()
    try:
        completion = run.complete(run.ai_model, messages=[{"role": "user", "content": TEST_PROMPT}])
    except (AIProviderError, AIProviderTimeout) as exc:
        error = exc.summary
    else:
        error = (
            None if TEST_ANSWER.match(completion.text.strip()) else "The model answered, but not with 'ok'."
        )
    outcome = {"ok": error is None, "latency_ms": round((time.monotonic() - started) * 1000), "error": error}
    with run.step():
        run.finish({"test": outcome})
