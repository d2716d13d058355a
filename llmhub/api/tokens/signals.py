"""Sent after the transaction that created or revoked a token commits (a rolled-back one sends
none): receivers get `token=<ApiToken>`, `action` ("token_created" or "token_revoked") and
`actor=<llmhub.actors.Actor>`: who did it, for the audit trail (telemetry records a `security`
event)."""

from django.dispatch import Signal

token_changed = Signal()
