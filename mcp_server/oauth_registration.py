"""Dynamic client registration (RFC 7591): an MCP client describes itself and gets a client id
(and, for a confidential client, a secret shown this once and stored hashed).

Registered clients are DOT Applications owned by no user (`registration_source` "dcr"), for
the authorization code grant with refresh tokens. Redirect URIs are https, or http on the
loopback interface (RFC 8252 native clients). A client may ask for any of the server's
scopes: the user consents to those of each authorization request, so `scope` at
registration is checked and answered, not stored. Metadata this server does not use
(client_uri, logo_uri, contacts...) is ignored and not echoed.
"""

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.views.decorators.debug import sensitive_variables
from oauth2_provider.models import get_application_model

from core.text import is_storable
from mcp_server.scopes import SCOPES

AUTH_METHODS = ("none", "client_secret_post", "client_secret_basic")
GRANT_TYPES = ("authorization_code", "refresh_token")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
MAX_REDIRECT_URIS = 10
MAX_URI_CHARS = 2000


class InvalidMetadata(Exception):
    """The registration is refused: an RFC 7591 error code and a description naming the field."""

    def __init__(self, error: str, description: str):
        super().__init__(description)
        self.error, self.description = error, description


def _invalid(field: str, problem: str) -> InvalidMetadata:
    return InvalidMetadata("invalid_client_metadata", f"{field}: {problem}")


def _redirect_problem(uri) -> str | None:
    if not isinstance(uri, str) or not uri:
        return "must be a non-empty string"
    if len(uri) > MAX_URI_CHARS or not is_storable(uri) or any(char.isspace() for char in uri):
        return f"must be at most {MAX_URI_CHARS} characters, without spaces"
    try:
        parts = urlsplit(uri)
    except ValueError:  # "https://[::1/cb"
        return "is not a valid URL"
    try:
        port_valid = parts.port is None or parts.port > 0
    except ValueError:
        port_valid = False
    if not port_valid:
        return "has an invalid port"
    if parts.fragment or "#" in uri or "@" in parts.netloc or "*" in parts.netloc:
        return "must not have a fragment, credentials or a wildcard"
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return None
    return "must be an https URL, or http on localhost, 127.0.0.1 or [::1]"


def _redirect_uris(metadata: dict) -> list[str]:
    uris = metadata.get("redirect_uris")
    if not isinstance(uris, list) or not uris or len(uris) > MAX_REDIRECT_URIS:
        raise InvalidMetadata(
            "invalid_redirect_uri", f"redirect_uris: a list of 1 to {MAX_REDIRECT_URIS} URLs is required"
        )
    for index, uri in enumerate(uris):
        problem = _redirect_problem(uri)
        if problem:
            raise InvalidMetadata("invalid_redirect_uri", f"redirect_uris[{index}]: {problem}")
    return uris


def _string(metadata: dict, field: str, *, default: str, max_length: int) -> str:
    value = metadata.get(field, default)
    if not isinstance(value, str) or len(value) > max_length or not is_storable(value):
        raise _invalid(field, f"must be a string of at most {max_length} characters")
    return value


def _checked(metadata: dict) -> dict:
    """The registration's metadata as this server records it, or InvalidMetadata."""
    if not isinstance(metadata, dict):
        raise InvalidMetadata("invalid_client_metadata", "The body must be a JSON object of client metadata.")
    uris = _redirect_uris(metadata)
    name = _string(metadata, "client_name", default="", max_length=255)
    method = metadata.get("token_endpoint_auth_method", "client_secret_basic")
    if method not in AUTH_METHODS:
        raise _invalid("token_endpoint_auth_method", f"must be one of {', '.join(AUTH_METHODS)}")
    grant_types = metadata.get("grant_types", list(GRANT_TYPES))
    if (
        not isinstance(grant_types, list)
        or not all(isinstance(grant, str) for grant in grant_types)
        or "authorization_code" not in grant_types
        or not set(grant_types) <= set(GRANT_TYPES)
    ):
        raise _invalid("grant_types", "must list authorization_code, and refresh_token if wanted")
    if metadata.get("response_types", ["code"]) != ["code"]:
        raise _invalid("response_types", 'must be ["code"]')
    scope = _string(metadata, "scope", default=" ".join(SCOPES), max_length=255)
    unknown = [part for part in scope.split() if part not in SCOPES]
    if unknown or not scope.split():
        raise _invalid("scope", f"the scopes are {', '.join(SCOPES)}")
    return {
        "client_name": name,
        "redirect_uris": uris,
        "grant_types": list(dict.fromkeys(grant_types)),
        "response_types": ["code"],
        "token_endpoint_auth_method": method,
        "scope": " ".join(SCOPES),
    }


@sensitive_variables("secret")
def client_register(*, metadata) -> dict:
    """Register a client from its RFC 7591 metadata; the registration's answer (with the
    client's secret, the only time it is shown, when it is confidential)."""
    registered = _checked(metadata)
    Application = get_application_model()
    public = registered["token_endpoint_auth_method"] == "none"
    application = Application(
        name=registered["client_name"],
        redirect_uris=" ".join(registered["redirect_uris"]),
        client_type=Application.CLIENT_PUBLIC if public else Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        registration_source=Application.RegistrationSource.DCR,
    )
    secret = application.client_secret  # generated, and hashed when saved
    try:
        application.full_clean()
    except ValidationError as exc:
        raise InvalidMetadata("invalid_client_metadata", "; ".join(exc.messages)) from None
    application.save()
    answer = {
        "client_id": application.client_id,
        "client_id_issued_at": int(application.created.timestamp()),
        **{key: value for key, value in registered.items() if value != ""},
    }
    if not public:
        answer |= {"client_secret": secret, "client_secret_expires_at": 0}
    return answer
