"""Tools for models and agents, each declared once: one decorated method whose name,
description, JSON schema, hints and argument binding all come from the declaration.

    class BoardTools(Toolbox):
        @tool("Move a task.", task_id=TASK_ID, status=STATUS, position=POSITION)
        def move_task(self, task_id, status, position=None): ...

The schema's properties are the keywords given to `tool`, and they must be the method's
parameters, no more and no fewer, in order (checked when the class is built); the required
ones are those without a default. A method that ends in `**fields` takes the properties
after its named parameters there, each optional, only those the call sends:

        @tool("Create a task.", title=TITLE, description=DESCRIPTION, priority=PRIORITY)
        def create_task(self, title, **fields): ...

A call binds its arguments with `inspect.signature` before it runs, so a missing, unexpected
or misnamed argument is a `ToolArgumentError` naming it, never an error from inside the method.
"""

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from rest_framework import serializers


class ToolArgumentError(Exception):
    """The arguments do not fit the tool: nothing was run."""


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict  # JSON Schema of the arguments object
    read_only: bool
    destructive: bool
    idempotent: bool
    method: Callable

    def bind(self, instance, arguments) -> inspect.BoundArguments:
        """`arguments` bound to the method of `instance`; ToolArgumentError naming what does
        not fit."""
        if not isinstance(arguments, dict):
            raise ToolArgumentError("The arguments must be a JSON object.")
        unexpected = sorted(set(arguments) - set(self.parameters["properties"]))
        if unexpected:
            known = ", ".join(self.parameters["properties"]) or "none"
            raise ToolArgumentError(
                f"Unexpected argument(s) {', '.join(unexpected)}; {self.name} takes {known}."
            )
        missing = [name for name in self.parameters.get("required", []) if name not in arguments]
        if missing:
            raise ToolArgumentError(f"Missing argument(s) {', '.join(missing)} for {self.name}.")
        return inspect.signature(self.method).bind(instance, **arguments)


def tool(
    description: str,
    /,
    *,
    read_only: bool = False,
    destructive: bool = False,
    idempotent: bool = False,
    **properties: dict,
):
    """Declare a Toolbox method as a tool (see the module docstring)."""

    def declare(method):
        method.tool_declaration = (description, read_only, destructive, idempotent, properties)
        return method

    return declare


def _declared(method) -> Tool:
    description, read_only, destructive, idempotent, properties = method.tool_declaration
    parameters = list(inspect.signature(method).parameters.values())[1:]  # after self
    named = [parameter for parameter in parameters if parameter.kind is not inspect.Parameter.VAR_KEYWORD]
    names, declared = [parameter.name for parameter in named], list(properties)
    rest = len(named) < len(parameters)  # **fields: the properties after the named ones
    assert names == declared[: len(names)] and (rest or names == declared), (
        f"Tool {method.__name__}: declare a schema for each parameter, in order: "
        f"parameters {names}{' and **' + parameters[-1].name if rest else ''}, schemas {declared}."
    )
    required = [parameter.name for parameter in named if parameter.default is inspect.Parameter.empty]
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return Tool(method.__name__, description, schema, read_only, destructive, idempotent, method)


class Toolbox:
    """A class whose `@tool` methods are its tools (`tools`, by name, in declaration order)."""

    tools: dict[str, Tool] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        declared = {**cls.tools}
        for name, member in vars(cls).items():
            if hasattr(member, "tool_declaration"):
                declared[name] = _declared(member)
        cls.tools = declared

    def call(self, name: str, arguments):
        """Run tool `name` with `arguments`; ToolArgumentError when there is no such tool or
        the arguments do not fit it (nothing run)."""
        declared = self.tools.get(name)
        if declared is None:
            raise ToolArgumentError(f"Unknown tool {name!r}; the tools are {', '.join(self.tools)}.")
        bound = declared.bind(self, arguments)
        return declared.method(*bound.args, **bound.kwargs)


def json_schema(field) -> dict:
    """The JSON schema of a DRF serializer or field, with its bounds, for a tool's argument
    (what `is_valid` will check, said to the model up front): strings with their length (at
    least 1 where blank is refused), choices as an enum, integers with their range, lists with
    their count (at least 1 where empty is refused), objects with their fields (none other
    allowed)."""
    if isinstance(field, serializers.BaseSerializer):
        properties = {name: json_schema(child) for name, child in field.fields.items() if not child.read_only}
        schema = {"type": "object", "properties": properties, "additionalProperties": False}
        required = [name for name, child in field.fields.items() if child.required and not child.read_only]
        schema = {**schema, "required": required} if required else schema
        return {**schema, "type": ["object", "null"]} if field.allow_null else schema
    if isinstance(field, serializers.ChoiceField):
        schema = {"type": "string", "enum": list(field.choices)}
    elif isinstance(field, serializers.BooleanField):
        schema = {"type": "boolean"}
    elif isinstance(field, serializers.IntegerField):
        schema = {"type": "integer"}
        schema |= {"minimum": field.min_value} if field.min_value is not None else {}
        schema |= {"maximum": field.max_value} if field.max_value is not None else {}
    elif isinstance(field, serializers.ListField):
        schema = {"type": "array", "items": json_schema(field.child)}
        fewest = field.min_length if field.min_length is not None else int(not field.allow_empty)
        schema |= {"minItems": fewest} if fewest else {}
        schema |= {"maxItems": field.max_length} if field.max_length is not None else {}
    elif isinstance(field, serializers.CharField):
        schema = {"type": "string"}
        shortest = field.min_length if field.min_length is not None else int(not field.allow_blank)
        schema |= {"minLength": shortest} if shortest else {}
        schema |= {"maxLength": field.max_length} if field.max_length is not None else {}
    else:
        raise TypeError(f"No JSON schema for {type(field).__name__}.")
    if field.allow_null:
        schema["type"] = [schema["type"], "null"]
    return {**schema, "description": str(field.help_text)} if field.help_text else schema
