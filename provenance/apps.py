from django.apps import AppConfig


class ProvenanceConfig(AppConfig):
    """Where work came from: the chain from an interview to a recorded SHA, read across the
    apps below it (projects, jobs, kanban, chat, activity), in the API and as a timeline on
    the task's and the commit's admin pages. Imports the apps below it; nothing imports it."""

    name = "provenance"

    def ready(self):
        from provenance import admin  # noqa: F401  (its receivers add the timeline panels)
