from django.apps import AppConfig


class OrchestratorConfig(AppConfig):
    """The project's wiring: settings, URLs, the API root, project-wide commands and tests."""

    name = "orchestrator"
    verbose_name = "Orchestrator"
