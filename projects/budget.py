"""Monthly budgets: an AI action of a project at or over its month's spend is refused."""

from decimal import Decimal

from django.db.models import Sum
from django.dispatch import receiver
from django.utils import timezone

from core.exceptions import Conflict
from jobs.models import ModelCall
from jobs.signals import job_submitting


class OverBudget(Conflict):
    default_code = "over_budget"


def month_spend(project) -> Decimal:
    """What the project's model calls have cost since the start of this month (UTC)."""
    start = timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    spent = ModelCall.objects.filter(project=project, created_at__gte=start).aggregate(total=Sum("cost"))
    return spent["total"] or Decimal(0)


@receiver(job_submitting, dispatch_uid="projects-refuse-over-budget")
def refuse_over_budget(sender, *, project, ai_model, **kwargs) -> None:
    """`job_submitting`: a 409 when a job with a model (AI work) would start at or over its
    project's budget; a job already running finishes whatever it costs."""
    if project is None or ai_model is None or project.monthly_budget is None:
        return
    spent = month_spend(project)
    if spent >= project.monthly_budget:
        raise OverBudget(
            {
                "detail": f"Project '{project.name}' has spent ${spent:.2f} this month, at or over its "
                f"monthly budget of ${project.monthly_budget:.2f}; raise the budget or wait for next month.",
                "monthly_budget": str(project.monthly_budget),
                "month_spend": f"{spent:.2f}",
            }
        )
