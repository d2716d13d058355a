"""Signals sent after the transaction that made a change commits (a rolled-back one sends none).

`flag_changed`: receivers (telemetry, for one) get `change=<FlagChange>`.
`token_changed`: receivers get `token=<ApiToken>`, `action` ("token_created" or
"token_revoked") and `actor=<flags.actors.Actor>`: who did it, for the audit trail.
"""

from django.dispatch import Signal

flag_changed = Signal()
token_changed = Signal()
