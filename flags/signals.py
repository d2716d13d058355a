"""`flag_changed` is sent after the transaction that wrote a `FlagChange` commits.

Receivers (telemetry, for one) get `change=<FlagChange>`; a rolled-back change sends nothing.
"""

from django.dispatch import Signal

flag_changed = Signal()
