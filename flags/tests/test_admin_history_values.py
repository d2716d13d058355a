"""The flag history's "What changed" shows values as a person reads them, not Python reprs."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from flags import services
from flags.models import FlagChange
from llmhub.actors import Actor

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("test")


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_history__lists_comma_separated_none_as_dash(admin_client: Client) -> None:
    flag = services.flag_create(name="hub", actor=ACTOR, source="test", rollout_percentage=10)
    services.flag_edit_lists(
        name="hub", whitelist_add=["admin", "tester"], actor=ACTOR, source="test"
    )
    services.flag_update(name="hub", description="New hub", actor=ACTOR, source="test")
    inline = _text(
        admin_client.get(reverse("admin:flags_flag_change", args=[flag.pk])).content.decode()
    )
    assert "whitelist_users: added admin, tester" in inline  # a list edit, as ids added
    assert "description: (empty) → New hub" in inline
    assert "rollout_percentage: — → 10" in inline  # the creation: nothing before it
    assert "['" not in inline and "None" not in inline and "[]" not in inline

    change = FlagChange.objects.get(flag_name="hub", version=2)
    page = admin_client.get(reverse("admin:flags_flagchange_change", args=[change.pk]))
    text = _text(page.content.decode())
    assert "whitelist_users: (empty) → admin, tester" in text
    assert "['admin', 'tester']" not in text.split("What changed")[1].split("Comment")[0]
