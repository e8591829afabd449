"""Characters no stored text may hold: NUL (PostgreSQL refuses it) and lone UTF-16
surrogates (they cannot be encoded as UTF-8, so neither stored nor sent back)."""

import re

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def is_storable(text: str) -> bool:
    return UNSTORABLE.search(text) is None


def storable(text: str) -> str:
    """`text` with unstorable characters replaced by U+FFFD (for text we did not choose, e.g. a model's)."""
    return UNSTORABLE.sub("\ufffd", text)


def storable_json(value):
    """`value` (parsed JSON) with every string, keys included, made storable."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, list):
        return [storable_json(item) for item in value]
    if isinstance(value, dict):
        return {storable(key): storable_json(item) for key, item in value.items()}
    return value
