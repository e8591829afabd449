from aimodels.models import AIModel
from jobs.models import Job
from jobs.services import job_submit


def ai_model_test(*, ai_model: AIModel, owner=None, idempotency_key: str = "") -> Job:
    """Start the job that makes one tiny call to the model (`aimodels.jobs.model_test`).

    Raises AIModelUnavailable (409) when the model cannot be called at all."""
    return job_submit(
        owner=owner,
        kind=Job.Kind.AI_MODEL_TEST,
        ai_model=ai_model,
        input={},
        idempotency_key=idempotency_key,
    )
