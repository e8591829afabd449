from django.dispatch import Signal

# Sent for each Activity stored, in the change's transaction: `activity`, and `event_type`
# (`<model>.<verb>`, e.g. `task.moved`). Webhooks deliver it.
activity_recorded = Signal()
