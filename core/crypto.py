"""Fernet encryption for secrets stored in the database.

`settings.FIELD_ENCRYPTION_KEYS` lists Fernet keys: the first encrypts, all of
them decrypt, so a new key is put first and old tokens keep working until
`rotate_encryption_keys` re-encrypts them. Without keys (development only;
settings refuse it with DEBUG off) a key is derived from SECRET_KEY.
"""

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class DecryptionError(Exception):
    """A stored token that none of the configured keys can open."""


def development_key(secret_key: str | None = None) -> str:
    """The key used when FIELD_ENCRYPTION_KEYS is empty: derived from SECRET_KEY."""
    secret_key = settings.SECRET_KEY if secret_key is None else secret_key
    return base64.urlsafe_b64encode(hashlib.sha256(secret_key.encode()).digest()).decode()


@lru_cache(maxsize=8)
def _fernets(keys: tuple[str, ...], secret_key: str) -> tuple[Fernet, ...]:
    if not keys:
        return (Fernet(development_key(secret_key)),)
    return tuple(Fernet(key) for key in keys)  # settings has checked each is a Fernet key


def _configured() -> tuple[Fernet, ...]:
    return _fernets(tuple(settings.FIELD_ENCRYPTION_KEYS), settings.SECRET_KEY)


def fernet() -> MultiFernet:
    return MultiFernet(_configured())


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError(
            "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEYS; "
            "keep the key it was encrypted with in the list."
        ) from None


def is_current(token: str) -> bool:
    """Whether `token` is already encrypted with the first key."""
    try:
        _configured()[0].decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def rotate(token: str) -> str:
    """Re-encrypt a token with the first key."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError("A stored secret cannot be decrypted for rotation.") from None


class UndecryptableSecret(str):
    """A stored secret none of the configured keys opens: empty as text, it keeps its token
    so that saving the row writes the token back unchanged and a later key can open it."""

    def __new__(cls, token: str):
        secret = super().__new__(cls, "")
        secret.token = token
        return secret


CANNOT_BE_DECRYPTED = "cannot be decrypted"


def looks_encrypted(value: str) -> bool:
    """Fernet tokens are url-safe base64 of a version byte 0x80 and a timestamp: `gAAAAA...`."""
    return value.startswith("gAAAAA") and len(value) >= 100


def mask_secret(secret: str) -> str | None:
    """A hint that identifies a secret without revealing it: `sk-...abcd`."""
    if isinstance(secret, UndecryptableSecret):
        return CANNOT_BE_DECRYPTED
    if not secret:
        return None
    if len(secret) < 12:
        return "..." + secret[-2:] if len(secret) > 6 else "..."
    return f"{secret[:3]}...{secret[-4:]}"
