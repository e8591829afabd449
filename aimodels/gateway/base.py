import itertools
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus

from rest_framework import status
from rest_framework.exceptions import APIException

from core.exceptions import Conflict

DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 2


def is_temporary(status: int) -> bool:
    """A provider's HTTP answer that may go another way later, or elsewhere: 429 and 5xx.
    Such an answer is retried, and then falls back to the next model."""
    return status == 429 or status >= 500


class AIProviderError(APIException):
    """The provider answered with an error, or with nothing usable."""

    status_code = status.HTTP_502_BAD_GATEWAY
    default_detail = "The AI model answered with an error."
    default_code = "ai_provider_error"

    def __init__(self, detail=None, code=None, *, provider_status: int | None = None, temporary=None):
        super().__init__(detail, code)
        self.provider_status = provider_status
        self._temporary = temporary  # said outright (a stream that ended early), else by the status

    @property
    def temporary(self) -> bool:
        """Whether another attempt, or another model, may answer: a 429 or 5xx, a stream that
        ended early or dropped."""
        if self._temporary is not None:
            return self._temporary
        return self.provider_status is not None and is_temporary(self.provider_status)

    @property
    def summary(self) -> str:
        """A fixed-form account that carries nothing the remote server wrote."""
        if self.provider_status is not None:
            return f"The provider answered HTTP {self.provider_status}."
        return "The provider's answer could not be used."


class AIProviderTimeout(APIException):
    """The provider could not be reached, or did not answer in time."""

    status_code = status.HTTP_504_GATEWAY_TIMEOUT
    default_detail = "The AI model did not answer in time."
    default_code = "ai_provider_timeout"
    temporary = True  # a timeout, or no connection: another model may answer

    @property
    def summary(self) -> str:
        return "The provider could not be reached or did not answer in time."


class AIModelUnavailable(Conflict):
    default_code = "ai_model_unavailable"


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    parameters: dict  # JSON Schema of the arguments object


@dataclass(frozen=True)
class ToolCallRequest:
    id: str
    name: str
    arguments: dict | None  # None: the model sent arguments that are not a JSON object
    raw_arguments: str = ""


@dataclass
class Completion:
    text: str
    tool_calls: list[ToolCallRequest] = field(default_factory=list)
    # input_tokens (every one, cached included), cached_input_tokens, cache_write_tokens,
    # output_tokens (reasoning included), reasoning_tokens, total_tokens
    usage: dict[str, int] = field(default_factory=dict)
    latency_ms: int = 0
    finish_reason: str = ""  # stop, length, tool_calls, content_filter (or the provider's own word)
    raw_usage: dict = field(default_factory=dict)  # as the provider reported it
    model: str = ""  # the model that answered, as the provider names it

    @property
    def truncated(self) -> bool:
        """The answer was cut off at max_tokens."""
        return self.finish_reason == "length"


# The shortest piece of a key that is taken for the key itself.
SECRET_FRAGMENT = 8


def scrub(text: str, secret: str) -> str:
    """`text` with every piece of `secret` of SECRET_FRAGMENT or more characters blanked out,
    as written and URL-encoded: provider errors echo what they were sent, whole or cut."""
    if not secret:
        return text
    forms = {secret, quote(secret, safe=""), quote_plus(secret, safe="")}
    windows = {
        form[i : i + SECRET_FRAGMENT] for form in forms for i in range(len(form) - SECRET_FRAGMENT + 1)
    }
    hidden = [False] * len(text)
    for start in range(len(text) - SECRET_FRAGMENT + 1):
        if text[start : start + SECRET_FRAGMENT] in windows:
            hidden[start : start + SECRET_FRAGMENT] = [True] * SECRET_FRAGMENT
    runs = itertools.groupby(zip(text, hidden, strict=True), key=lambda pair: pair[1])
    return "".join("[redacted]" if is_hidden else "".join(c for c, _ in run) for is_hidden, run in runs)
