from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Accounts"  # what admin lists under it: the API tokens

    def ready(self):
        from core import history, schema, tokens  # noqa: F401  (schema registers the token scheme)

        tokens.connect_signals()
        history.connect_deletions()
