from django.apps import AppConfig


class AimodelsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "aimodels"
    verbose_name = "AI models"

    def ready(self):
        from aimodels import jobs  # noqa: F401  (registers the model test)
        from aimodels.receivers import refuse_uncallable_model
        from aimodels.registry import positive_int, register_setting
        from jobs.signals import job_submitting

        job_submitting.connect(refuse_uncallable_model, dispatch_uid="aimodels-refuse-uncallable")
        register_setting(
            key="ai.default_max_tokens",
            description="Most tokens a model may write in one answer, unless its config sets max_tokens.",
            default=1024,
            validate=positive_int(1_000_000),
        )
