"""API tokens: knox tokens, stored hashed, with a fixed lifetime (REST_KNOX["TOKEN_TTL"]),
checked in one query, revoked by a change of the user's password (and by logout: the
endpoints are in `token_views`)."""

import binascii
from hmac import compare_digest

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save
from django.utils import timezone
from knox import auth
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS
from rest_framework import exceptions

INVALID = "Invalid token."


class TokenAuthentication(auth.TokenAuthentication):
    """knox's token check in one query: the token and its user, by the token's key.

    knox also sweeps the user's other expired tokens on every request (a second query and
    a row per token); here the token endpoint does that at sign-in. Tokens are not
    extended by use (REST_KNOX["AUTO_REFRESH"] is off). A token that is not UTF-8 is
    invalid, not a 500.
    """

    def authenticate_credentials(self, token):
        try:
            token = token.decode()
            digest = hash_token(token)
        except (UnicodeDecodeError, TypeError, binascii.Error):
            raise exceptions.AuthenticationFailed(INVALID) from None
        candidates = AuthToken.objects.filter(token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH])
        for auth_token in candidates.select_related("user"):
            if not compare_digest(digest, auth_token.digest):
                continue
            if auth_token.expiry is not None and auth_token.expiry < timezone.now():
                auth_token.delete()
                break
            return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(INVALID)


def revoke_tokens_on_password_change(sender, instance, created, **kwargs):
    # set_password() leaves the raw password on the instance until save() has run;
    # a hash upgrade at login clears it first, so it does not count as a change.
    if not created and getattr(instance, "_password", None) is not None:
        AuthToken.objects.filter(user=instance).delete()


def connect_signals():
    post_save.connect(revoke_tokens_on_password_change, sender=get_user_model())
