from dataclasses import dataclass, field

from rest_framework import status
from rest_framework.exceptions import APIException

from orchestrator.exceptions import Conflict

DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_TOKENS = 1024


class AIProviderError(APIException):
    """The provider answered with an error, or with nothing usable."""

    status_code = status.HTTP_502_BAD_GATEWAY
    default_detail = "The AI model answered with an error."
    default_code = "ai_provider_error"


class AIProviderTimeout(APIException):
    """The provider could not be reached, or did not answer in time."""

    status_code = status.HTTP_504_GATEWAY_TIMEOUT
    default_detail = "The AI model did not answer in time."
    default_code = "ai_provider_timeout"


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
    usage: dict[str, int] = field(default_factory=dict)
    latency_ms: int = 0


def scrub(text: str, secret: str) -> str:
    """`text` with `secret` blanked out: provider errors sometimes echo what they were sent."""
    return text.replace(secret, "[redacted]") if secret else text
