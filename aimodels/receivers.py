from django.dispatch import receiver

from aimodels.gateway.client import refuse_uncallable
from jobs.signals import job_submitting


@receiver(job_submitting, dispatch_uid="aimodels-refuse-uncallable")
def refuse_uncallable_model(sender, *, ai_model, **kwargs):
    """A job bound to a model no call could reach is a 409 now, rather than a failed job."""
    if ai_model is not None:
        refuse_uncallable(ai_model)
