from django.dispatch import Signal

# In the transaction that records a model call of a job (a failed one too): `job`, `call`
# (the ModelCall). Apps keeping running totals of their AI usage add to them here.
model_call_recorded = Signal()
