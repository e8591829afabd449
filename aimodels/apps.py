from django.apps import AppConfig


class AimodelsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "aimodels"
    verbose_name = "AI models"
