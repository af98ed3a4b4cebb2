"""Signals other apps may listen to. Resources sit below forums, so forums hears of an
endorsement here rather than resources importing forums."""

from django.dispatch import Signal

# Sent after commit with `resource` and `endorser` when a network lead recommends a resource.
resource_endorsed = Signal()
