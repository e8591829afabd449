from django.dispatch import receiver

from aimodels.signals import model_call_recorded
from chat.models import ChatSession


@receiver(model_call_recorded, dispatch_uid="chat-count-session-call")
def count_session_call(sender, *, job, call, **kwargs):
    if job.chat_session_id:
        ChatSession.add_ai_call(job.chat_session_id, call)
