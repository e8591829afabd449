"""The append-only change history: it stores what `core.history` records (through
`core.history.change_recorded`) and how jobs end (`jobs.signals.job_finished`), announces
each record (`activity.signals.activity_recorded`), and reads it back (project and task
activity, the project event stream).

Imports core, jobs, aimodels, projects, kanban and chat. Only the layers above it import
it (the MCP server and provenance read the history)."""
