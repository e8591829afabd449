from aimodels.gateway.client import refuse_uncallable


def refuse_uncallable_model(sender, *, ai_model, **kwargs):
    """A job bound to a model no call could reach is a 409 now, rather than a failed job."""
    if ai_model is not None:
        refuse_uncallable(ai_model)
