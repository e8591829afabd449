"""Chat sessions on a task: messages, the agent loop and its board tools, audited tool calls.

Imports core, jobs, aimodels, projects and kanban."""
