from chat.models import ChatSession


def count_session_call(sender, *, job, call, **kwargs):
    if job.chat_session_id:
        ChatSession.add_ai_call(job.chat_session_id, call)
