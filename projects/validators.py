"""Shape checks for the JSON fields of this app, used by models and serializers."""

import re
import uuid

from django.core.exceptions import ValidationError

CONVERSATION_ROLES = ("system", "user", "assistant")


def validate_json_object(value):
    if not isinstance(value, dict):
        raise ValidationError("Must be a JSON object.")


def validate_conversation(value):
    if not isinstance(value, list):
        raise ValidationError("Must be a JSON list of messages.")
    for index, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise ValidationError(f"Item {index} must be an object with role and content.")
        if entry.get("role") not in CONVERSATION_ROLES:
            raise ValidationError(f"Item {index}: role must be one of {', '.join(CONVERSATION_ROLES)}.")
        if not isinstance(entry.get("content"), str):
            raise ValidationError(f"Item {index}: content must be a string.")
        if "created_at" in entry and not isinstance(entry["created_at"], str):
            raise ValidationError(f"Item {index}: created_at must be an ISO 8601 string.")


LABEL = re.compile(r"[-a-zA-Z0-9_]{1,50}")


def validate_components(value):
    """A list of `{"prompt": "<uuid>"}` references (or `{"prompt": "<lineage>", "label": "<slug>"}`)
    and `{"text": "..."}` blocks."""
    if not isinstance(value, list):
        raise ValidationError("Must be a JSON list of components.")
    for index, component in enumerate(value):
        if not isinstance(component, dict) or not (
            len(component) == 1 or (set(component) == {"prompt", "label"})
        ):
            raise ValidationError(
                f'Item {index} must be {{"prompt": <id>}}, {{"prompt": <lineage>, "label": <label>}} '
                'or {"text": "..."}.'
            )
        if "label" in component and not (
            isinstance(component["label"], str) and LABEL.fullmatch(component["label"])
        ):
            raise ValidationError(f"Item {index}: label must be a slug of at most 50 characters.")
        if "text" in component:
            if not isinstance(component["text"], str):
                raise ValidationError(f"Item {index}: text must be a string.")
        elif "prompt" in component:
            try:
                uuid.UUID(str(component["prompt"]))
            except ValueError:
                raise ValidationError(f"Item {index}: prompt must be a prompt id.") from None
        else:
            raise ValidationError(f'Item {index} must be {{"prompt": <id>}} or {{"text": "..."}}.')
