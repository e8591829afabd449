"""Where work came from: the chain from an interview to a recorded SHA, read across the apps
below it, in the API and as a timeline on the task's and the commit's admin pages.

Imports the apps below it (core to mcp_server); no app imports it."""
