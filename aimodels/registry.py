"""Known system settings and their validators.

Apps register the keys they read, each in its `system_settings` module (which its
AppConfig.ready imports), so this app does not need to know about the apps above it.
Any other key is refused, except under `custom.`, where a team keeps values of its own
(any JSON).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError


@dataclass(frozen=True)
class KnownSetting:
    key: str
    description: str
    default: Any
    validate: Callable[[Any], None]


_known: dict[str, KnownSetting] = {}


def register_setting(*, key: str, description: str, default: Any, validate: Callable[[Any], None]):
    _known[key] = KnownSetting(key=key, description=description, default=default, validate=validate)


def known_setting(key: str) -> KnownSetting | None:
    return _known.get(key)


CUSTOM_PREFIX = "custom."


def known_settings() -> list[KnownSetting]:
    return sorted(_known.values(), key=lambda setting: setting.key)


def validate_setting_key(key: str) -> None:
    if key not in _known and not key.startswith(CUSTOM_PREFIX):
        raise ValidationError(
            f"Unknown setting {key!r}. Known settings: {', '.join(sorted(_known))}; "
            f"keys of your own start with '{CUSTOM_PREFIX}'."
        )


def validate_setting_value(key: str, value: Any) -> None:
    """Raise ValidationError when `value` is not acceptable for a known `key`."""
    setting = _known.get(key)
    if setting is not None:
        setting.validate(value)


def positive_int(maximum: int) -> Callable[[Any], None]:
    def validate(value):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
            raise ValidationError(f"Must be an integer from 1 to {maximum}.")

    return validate


def validate_boolean(value):
    if not isinstance(value, bool):
        raise ValidationError("Must be true or false.")
