from aimodels.gateway.base import AIModelUnavailable
from aimodels.models import AIModel


def resolve_ai_model(*, usage_type: str, requested: AIModel | None = None) -> AIModel:
    """The model for an action: the one requested, else the active model of `usage_type`,
    else the active `general` model, else a 409 saying what to configure.

    Among several active models of one usage type, the one updated last wins.
    """
    if requested is not None:
        return requested
    active = AIModel.objects.active().order_by("-updated_at")
    for candidate in (usage_type, AIModel.UsageType.GENERAL):
        chosen = active.filter(usage_type=candidate).first()
        if chosen is not None:
            return chosen
    raise AIModelUnavailable(
        f"No active AI model for '{usage_type}' or 'general'. Configure one in admin or with "
        f"POST /api/v1/ai-models/ (usage_type '{usage_type}'), or name one with \"ai_model\"."
    )
