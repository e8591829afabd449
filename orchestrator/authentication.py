from knox import auth
from rest_framework import exceptions


class TokenAuthentication(auth.TokenAuthentication):
    """knox's token authentication; a token that is not UTF-8 is invalid, not a 500."""

    def authenticate_credentials(self, token):
        try:
            token.decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        return super().authenticate_credentials(token)
