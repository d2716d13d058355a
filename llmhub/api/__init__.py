"""The API platform every app's API stands on: flags, OFREP, telemetry ingestion and the hub.

DRF's defaults in llmhub/settings/api.py point here: who is calling (`authentication`, API
`tokens`), what they may do on top of the default deny (`permissions`), how often
(`throttling` over `ratelimit`), what bodies are accepted (`parsers`), the one error shape and
its field paths (`errors`), how exceptions become that shape (`handlers`), a database that
cannot be reached (`outage`) and the schema's shared parts (`schema`).

It imports no app (flags, telemetry, the hub): apps import it. What is about flags (flag
permissions, the flag error statuses, the evaluation lane) stays in flags/api/.
"""
