"""What the job engine tells the apps above it, which connect in their `ready()`."""

from django.dispatch import Signal

# Before a job is created: `kind`, `owner`, `project`, `ai_model`. A receiver refuses the
# job by raising an APIException (a model that cannot be called, a project over budget);
# then no job exists.
job_submitting = Signal()

# In the transaction that ends a job (succeeded, failed or cancelled): `job`. A receiver's
# writes are kept exactly when the job's end is.
job_finished = Signal()
