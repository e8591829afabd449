"""The JSON schemas of a task's fields as tool arguments, for every toolbox that acts on the
board (the chat agent's, the MCP server's): one declaration each, matching the serializers'
rules."""

from core.tools import json_schema
from kanban.brief import BriefSerializer
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
COMMIT_ID = {"type": "string", "maxLength": ID_CHARS, "description": "The commit's id (from its generation)."}
SHA = {"type": "string", "maxLength": 64, "description": "The SHA git made: `git rev-parse HEAD`."}
BRANCH = {"type": "string", "maxLength": 255, "description": "`git rev-parse --abbrev-ref HEAD`."}
REPOSITORY = {"type": "string", "maxLength": 500, "description": "The remote's URL, or the repo's name."}
BRIEF = {
    **json_schema(BriefSerializer()),
    "description": "The brief's parts to change (summary, approaches, recommendation, steps, "
    "acceptance_criteria, deliverables...); the parts left out are kept. Tick a criterion by "
    "sending the whole list with its done set.",
}
