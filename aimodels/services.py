import re
import time

from aimodels.gateway import AIProviderError, AIProviderTimeout, complete
from aimodels.models import AIModel

TEST_PROMPT = "Reply with the single word: ok"
# A working model answers "ok", perhaps with punctuation or quotes; anything longer is not an answer.
TEST_ANSWER = re.compile(r"^\W*ok\W*$", re.IGNORECASE)


def ai_model_test(*, ai_model: AIModel) -> dict:
    """One tiny call: `{"ok", "latency_ms", "error"}`, the error a short fixed sentence.

    Raises AIModelUnavailable (409) when the model cannot be called at all."""
    started = time.monotonic()
    try:
        completion = complete(ai_model, messages=[{"role": "user", "content": TEST_PROMPT}])
    except (AIProviderError, AIProviderTimeout) as exc:
        error = exc.summary
    else:
        error = (
            None if TEST_ANSWER.match(completion.text.strip()) else "The model answered, but not with 'ok'."
        )
    return {"ok": error is None, "latency_ms": round((time.monotonic() - started) * 1000), "error": error}
