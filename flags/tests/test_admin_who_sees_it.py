"""The flag admin's "Who sees it?" box says what is wrong with an id it cannot check."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from flags import services
from llmhub.actors import Actor
from tests.html_forms import forms_in

pytestmark = pytest.mark.django_db


def _who_form_url(client: Client) -> tuple[str, str]:
    flag = services.flag_create(name="hub", enabled=True, actor=Actor.system("test"), source="test")
    url = reverse("admin:flags_flag_change", args=[flag.pk])
    (form,) = [f for f in forms_in(client.get(url).content.decode()) if f.value("who_sees") == ""]
    return url, form.url(url)


def test_who_sees_it__id_over_200_characters__shows_the_form_error(admin_client: Client) -> None:
    _, action = _who_form_url(admin_client)
    long_id = "u" * 201
    page = admin_client.get(action, {"who_sees": long_id}).content.decode()
    box = re.search(r'<div class="module aligned" id="who-sees-it".*?</div>\s*</div>', page, re.S)
    assert box, "no Who sees it? box"
    text = html.unescape(box.group(0))
    assert "Ensure this value has at most 200 characters (it has 201)." in text
    assert f'value="{long_id}"' in text  # what was typed stays, to be shortened
    assert "ON" not in re.sub(r"<[^>]+>", "", text).split() and "who-result" not in text


def test_who_sees_it__valid_id__still_answers(admin_client: Client) -> None:
    _, action = _who_form_url(admin_client)
    page = admin_client.get(action, {"who_sees": "amy"}).content.decode()
    assert 'class="who-result"' in page and "at most 200 characters" not in page
