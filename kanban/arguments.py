"""The JSON schemas of a task's fields as tool arguments, for every toolbox that acts on the
board (the chat agent's, the MCP server's): one declaration each, matching the serializers'
rules."""

from kanban.models import Task

# An id: a UUID, as its 36 characters (or 32 hex digits, or a urn:uuid: of 45).
ID_CHARS = 45

STATUS = {"type": "string", "enum": Task.Status.values}
TASK_ID = {"type": "string", "maxLength": ID_CHARS, "description": "The task's id."}
DEPENDS_ON_ID = {"type": "string", "maxLength": ID_CHARS, "description": "The awaited task's id."}
TITLE = {"type": "string", "maxLength": 255}
DESCRIPTION = {"type": "string"}
PRIORITY = {"type": "string", "enum": Task.Priority.values}
COMPLEXITY = {"type": "integer", "minimum": 1, "maximum": 10}
DETAILS = {"type": "string", "description": "How to do it."}
TEST_STRATEGY = {"type": "string", "description": "How to know it is done."}
PARENT = {
    "type": "string",
    "maxLength": ID_CHARS,
    "description": "The id of the task this one is a subtask of.",
}
POSITION = {"type": "integer", "minimum": 0}
