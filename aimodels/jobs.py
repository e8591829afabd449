"""The model test, run as a job."""

import re
import time

from aimodels.calls import AIJobRun, ai_job_kind
from aimodels.gateway import AIProviderError, AIProviderTimeout, ToolSpec
from aimodels.models import AIModelJob

TEST_PROMPT = "Reply with the single word: ok"
# A working model answers "ok", perhaps with punctuation or quotes; anything longer is not an answer.
TEST_ANSWER = re.compile(r"^\W*ok\W*$", re.IGNORECASE)
# The tool call the test asks for: whether the model (and its server) can answer through tools.
TEST_TOOL = ToolSpec(
    "report_status",
    "Report whether you are working.",
    {
        "type": "object",
        "properties": {"ok": {"type": "boolean", "description": "true"}},
        "required": ["ok"],
        "additionalProperties": False,
    },
)


# What a model test answers.
TESTED = {
    "test": {
        "type": "object",
        "description": "ai_model_test: the outcome.",
        "properties": {
            "ok": {"type": "boolean"},
            "latency_ms": {"type": "integer"},
            "error": {"type": "string", "nullable": True},
            "tools": {
                "type": "object",
                "description": "Whether the model answered a forced tool call too.",
                "properties": {"ok": {"type": "boolean"}, "error": {"type": "string", "nullable": True}},
                "required": ["ok", "error"],
            },
        },
        "required": ["ok", "latency_ms", "error"],
    }
}


@ai_job_kind(AIModelJob.AI_MODEL_TEST, subject="ai_model", result=TESTED)
def model_test(run: AIJobRun) -> None:
    """One tiny call, then one forced tool call: `{"test": {"ok", "latency_ms", "error",
    "tools": {"ok", "error"}}}`, each error a short fixed sentence. A model that answers in
    words but not through tools can interview and write prompts and commits, but not plan
    or act on the board (see docs/local-models.md).

    Start it with `job_start(AIModelJob.AI_MODEL_TEST, subject=model, ai_model=model, owner=...)`."""
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
    outcome["tools"] = _tool_test(run) if error is None else {"ok": False, "error": "Not tried."}
    with run.step():
        run.finish({"test": outcome})


def _tool_test(run: AIJobRun) -> dict:
    messages = [{"role": "user", "content": f"Call {TEST_TOOL.name} with ok set to true."}]
    try:
        completion = run.complete(
            run.ai_model, messages=messages, tools=[TEST_TOOL], tool_choice=TEST_TOOL.name
        )
    except (AIProviderError, AIProviderTimeout) as exc:
        return {"ok": False, "error": exc.summary}
    call = next((call for call in completion.tool_calls if call.name == TEST_TOOL.name), None)
    if call is None or not isinstance(call.arguments, dict) or "ok" not in call.arguments:
        return {"ok": False, "error": "The model did not answer through the tool (see docs/local-models.md)."}
    return {"ok": True, "error": None}
