from django.apps import AppConfig


class ChatConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chat"

    def ready(self):
        from aimodels.registry import positive_int, register_setting
        from aimodels.signals import model_call_recorded
        from chat import jobs  # noqa: F401  (registers its kinds of job)
        from chat.receivers import count_session_call

        model_call_recorded.connect(count_session_call, dispatch_uid="chat-count-session-call")

        register_setting(
            key="ai.max_tool_iterations",
            description="Most model calls one agent turn may make before it stops.",
            default=8,
            validate=positive_int(50),
        )
