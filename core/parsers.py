"""Request parsers that refuse what the database or the JSON renderer cannot hold.

Every body is checked before a view sees it: text (values and keys) may not hold NUL or
lone surrogates, JSON may nest at most MAX_JSON_DEPTH levels and its numbers must be
finite. The error names the top-level field it was found under.
"""

import math

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

from core.text import is_storable

UNSTORABLE_TEXT = "Text must not contain NUL characters or lone surrogates."


def _deepest_level_error(depth: int) -> str:
    return f"JSON may nest at most {depth} levels."


def check_body(data) -> None:
    """Raise a ValidationError naming the first top-level field that holds unacceptable data."""
    limit = settings.MAX_JSON_DEPTH
    fields = data.items() if isinstance(data, dict) else [("non_field_errors", data)]
    for name, value in fields:
        if not isinstance(name, str) or not is_storable(name):
            raise ValidationError({"non_field_errors": [f"A field name: {UNSTORABLE_TEXT}"]})
        if problem := _problem(value, limit):
            raise ValidationError({name: [problem]})


def _problem(value, limit: int) -> str | None:
    """What is wrong with `value` and everything inside it, walked without recursion."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return _deepest_level_error(limit)
        if isinstance(item, str):
            if not is_storable(item):
                return UNSTORABLE_TEXT
        elif isinstance(item, float):
            if not math.isfinite(item):
                return "Numbers must be finite."
        elif isinstance(item, dict):
            for key, child in item.items():
                if not is_storable(key):
                    return UNSTORABLE_TEXT
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return None


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_deepest_level_error(settings.MAX_JSON_DEPTH)) from None
        check_body(data)
        return data


def _check_form(data) -> None:
    check_body({key: data.getlist(key) for key in data})


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        _check_form(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        _check_form(parsed.data)
        return parsed
