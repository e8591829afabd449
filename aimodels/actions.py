"""AI actions in the API: a view action that starts a job in which an AI model works, and
answers the job (see `jobs.views.job_response`)."""

from rest_framework.serializers import Serializer

from aimodels.serializers import AIActionSerializer
from jobs.services import job_start
from jobs.views import idempotency_key, job_response


class AIActionMixin:
    """For views (viewsets or not) whose actions start AI jobs."""

    def start_ai_job(
        self,
        request,
        kind: str,
        *,
        usage_type: str,
        subject=None,
        body: type[Serializer] | None = None,
    ):
        """Start a job of `kind` from the request's body (`body`, by default the action's
        `serializer_class`: an AIActionSerializer with an optional `ai_model`, else the active
        model of `usage_type` answers) for `subject`, or for the object the body's `subject`
        field names; the body's other fields are the job's arguments. Answers the job: 202, or
        200 once it has finished."""
        key = idempotency_key(request)
        body = body or getattr(self, "serializer_class", None) or AIActionSerializer
        data = body(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        ai_model = data.chosen_ai_model(usage_type)
        arguments = {name: value for name, value in data.validated_data.items() if name != "ai_model"}
        if subject is None:
            subject = arguments.pop(data.subject)
        job = job_start(
            kind, subject=subject, ai_model=ai_model, owner=request.user, idempotency_key=key, **arguments
        )
        return job_response(request, job)
