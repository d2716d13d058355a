"""Notifications about flag changes: outgoing webhooks (signed, retried, logged) and inbound
trigger URLs that disable a flag (for Alertmanager or a pager).

This app imports flags, never the other way round: it listens to `flags.signals.flag_changed`
(sent after the change commits) and changes flags through `flags.services`.
"""
