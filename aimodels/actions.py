"""AI actions in the API: a view action that starts a job in which an AI model works, and
answers the job (see `jobs.views.job_response`)."""

from rest_framework.serializers import Serializer

from aimodels.serializers import AIActionSerializer
from jobs.services import job_start
from jobs.views import idempotency_key, job_response


def ai_job_start(
    kind: str, *, body, owner, usage_type: str | None = None, subject=None, ai_model=None, **options
):
    """Start a job of `kind` from a validated AI-action body (an AIActionSerializer: an
    optional `ai_model`, else the active model of `usage_type` answers) for `subject`, or for
    the object the body's `subject` field names; the body's other fields are the job's
    arguments. `ai_model` given: that model, whatever the body says (the model test)."""
    arguments = {name: value for name, value in body.validated_data.items() if name != "ai_model"}
    if ai_model is None:
        ai_model = body.chosen_ai_model(usage_type)
    if subject is None:
        subject = arguments.pop(body.subject)
    return job_start(kind, subject=subject, ai_model=ai_model, owner=owner, **options, **arguments)


class AIActionMixin:
    """For views (viewsets or not) whose actions start AI jobs."""

    def start_ai_job(
        self,
        request,
        kind: str,
        *,
        usage_type: str | None = None,
        subject=None,
        ai_model=None,
        body: type[Serializer] | None = None,
    ):
        """Start a job of `kind` from the request's body (`body`, by default the action's
        `serializer_class`, else an AIActionSerializer; see `ai_job_start`). Answers the job:
        202, or 200 once it has finished."""
        key = idempotency_key(request)
        body = body or getattr(self, "serializer_class", None) or AIActionSerializer
        data = body(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        job = ai_job_start(
            kind,
            body=data,
            owner=request.user,
            usage_type=usage_type,
            subject=subject,
            ai_model=ai_model,
            idempotency_key=key,
        )
        return job_response(request, job)
