"""What the benchmarks' floors share: a floor is the least a request doing the same work can
do, measured beside the API in the same run."""

from knox.models import AuthToken
from knox.settings import CONSTANTS


def token_user(request):
    """The floor's token check: one query, the token's user or None."""
    key = request.headers.get("Authorization", "").removeprefix("Token ")[: CONSTANTS.TOKEN_KEY_LENGTH]
    token = AuthToken.objects.select_related("user").filter(token_key=key).first()
    return token.user if token else None
