from django.core.exceptions import ValidationError

# Known AIModel.config keys: (accepted types, lowest, highest); None means unbounded.
CONFIG_RULES = {
    "temperature": ((int, float), 0, 2),
    "top_p": ((int, float), 0, 1),
    "max_tokens": ((int,), 1, 1_000_000),
    "timeout": ((int, float), 0.1, 3600),
    "max_retries": ((int,), 0, 10),
    "system_prompt": ((str,), None, None),
    # false: with tools offered, ask without streaming (servers that cannot stream tool calls)
    "stream_tools": ((bool,), None, None),
}


def validate_ai_config(value):
    if not isinstance(value, dict):
        raise ValidationError("Must be a JSON object.")
    errors = []
    for key, item in value.items():
        if key not in CONFIG_RULES:
            errors.append(f"Unknown key {key!r}; known keys are {', '.join(CONFIG_RULES)}.")
            continue
        types, lowest, highest = CONFIG_RULES[key]
        if (isinstance(item, bool) and bool not in types) or not isinstance(item, types):
            errors.append(f"{key} must be of type {' or '.join(t.__name__ for t in types)}.")
        elif lowest is not None and not lowest <= item <= highest:
            errors.append(f"{key} must be between {lowest} and {highest}.")
    if errors:
        raise ValidationError(errors)
