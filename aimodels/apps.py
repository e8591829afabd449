from django.apps import AppConfig


class AimodelsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "aimodels"
    verbose_name = "AI models"

    def ready(self):
        from aimodels.registry import positive_int, register_setting

        register_setting(
            key="ai.default_max_tokens",
            description="Most tokens a model may write in one answer, unless its config sets max_tokens.",
            default=1024,
            validate=positive_int(1_000_000),
        )
