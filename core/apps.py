from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app uses; it imports no app. Its models are abstract building blocks."""

    name = "core"
    verbose_name = "Core"

    def ready(self):
        from core import history, schema, tokens  # noqa: F401  (schema registers the token scheme)

        tokens.connect_signals()
        history.connect_deletions()
