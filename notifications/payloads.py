"""What a webhook receives for a flag change: the change as JSON, or a Slack message."""

from __future__ import annotations

import json
from typing import Any

from flags.models import FlagChange


def event_name(change: FlagChange) -> str:
    """`flag.<action>`, e.g. `flag.disable`; sent as X-LLMHub-Event."""
    return f"flag.{change.action}"


def change_document(change: FlagChange, *, delivery_id: str) -> dict[str, Any]:
    return {
        "event": event_name(change),
        "delivery_id": delivery_id,
        "flag": change.flag_name,
        "version": change.version,
        "action": change.action,
        "source": change.source,
        "actor": change.actor,
        "actor_kind": change.actor_kind,
        "comment": change.comment,
        "changed": {
            name: {"before": old, "after": new}
            for name, (old, new) in change.changed_fields().items()
        },
        "enabled": (change.after or {}).get("enabled"),
        "rollout_percentage": (change.after or {}).get("rollout_percentage"),
        "created_at": change.created_at.isoformat(),
    }


def slack_text(document: dict[str, Any]) -> str:
    """One line a person reads in a channel: what happened to which flag, by whom, and why."""
    what = {
        "enable": "enabled",
        "disable": "*disabled* (kill switch)",
        "rollout": f"rolled out to {document['rollout_percentage']} %",
        "create": "created",
        "delete": "deleted",
        "rollback": "rolled back",
        "lists": "had its allow/deny lists edited",
    }.get(document["action"], "updated")
    by = "the rollout plan" if document["source"] == "schedule" else document["actor"]
    changed = ", ".join(sorted(document["changed"])) or "nothing"
    text = f"Flag `{document['flag']}` {what} by {by} (v{document['version']}; changed: {changed})"
    return f"{text}: {document['comment']}" if document["comment"] else text


def body_for(change: FlagChange, *, delivery_id: str, slack: bool) -> str:
    document = change_document(change, delivery_id=delivery_id)
    if slack:
        # What Slack's (and Mattermost's, Teams' legacy) incoming webhooks accept.
        return json.dumps({"text": slack_text(document)})
    return json.dumps(document, sort_keys=True)
