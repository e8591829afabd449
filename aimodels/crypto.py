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
from django.core.exceptions import ImproperlyConfigured


class DecryptionError(Exception):
    """A stored token that none of the configured keys can open."""


@lru_cache(maxsize=8)
def _fernets(keys: tuple[str, ...], secret_key: str) -> tuple[Fernet, ...]:
    if not keys:
        return (Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret_key.encode()).digest())),)
    try:
        return tuple(Fernet(key) for key in keys)
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be url-safe base64 Fernet keys "
            "(make one with cryptography.fernet.Fernet.generate_key())."
        ) from exc


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


def mask_secret(secret: str) -> str | None:
    """A hint that identifies a secret without revealing it: `sk-...abcd`."""
    if not secret:
        return None
    if len(secret) < 12:
        return "..." + secret[-2:] if len(secret) > 6 else "..."
    return f"{secret[:3]}...{secret[-4:]}"
