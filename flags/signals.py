"""Sent after the transaction that changed a flag commits (a rolled-back one sends none).

`flag_changed`: receivers (telemetry, for one) get `change=<FlagChange>`. Tokens have their own
signal (llmhub.api.tokens.signals.token_changed).
"""

from django.dispatch import Signal

flag_changed = Signal()
