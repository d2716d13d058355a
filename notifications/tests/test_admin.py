"""Webhooks, the delivery log and triggers in Django admin, submitted as a browser would."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from flags.services import flag_create, flag_disable
from llmhub.actors import Actor
from notifications.models import FlagTrigger, Webhook, WebhookDelivery
from notifications.tests.receiver import webhook_receiver
from tests.html_forms import csrf_token_in, open_admin_form, post_as_browser

ACTOR = Actor.system("admin test")
SECRET = "whsec-admin-TYPED-secret-4242"


def _tick(form: Any, name: str, values: set[str]) -> None:
    for control in form.controls:
        if control.name == name:
            control.checked = control.value in values


@pytest.mark.django_db(transaction=True)
def test_webhook__added_in_admin__secret_never_shown__changes_delivered_and_logged(
    admin_client: Client,
) -> None:
    with webhook_receiver(200) as receiver:
        # when an admin adds a webhook for kill switches of one flag, in Slack format
        url = "/admin/notifications/webhook/add/"
        form = open_admin_form(admin_client, url)
        form.fill(
            {
                "name": "on-call",
                "url": receiver.url,
                "secret": SECRET,
                "format": "slack",
                "flags": "pay",
            }
        )
        _tick(form, "actions", {"disable"})
        response = post_as_browser(admin_client, url, form.submission())
        assert response.status_code == 302
        hook = Webhook.objects.get()
        assert (hook.actions, hook.flags, hook.format) == (["disable"], ["pay"], "slack")
        # then its pages never show the secret, only a preview
        page = admin_client.get(f"/admin/notifications/webhook/{hook.pk}/change/").content.decode()
        assert SECRET not in page and "…4242" in page
        assert SECRET not in admin_client.get("/admin/notifications/webhook/").content.decode()
        # when the flag's kill switch is flipped
        flag_create(name="pay", actor=ACTOR, source="command", enabled=True)
        flag_disable(name="pay", actor=ACTOR, source="command")
        receiver.wait_for(1)
    # then the delivery log lists it with its status, attempts and response code
    delivery = WebhookDelivery.objects.get()
    log = admin_client.get("/admin/notifications/webhookdelivery/").content.decode()
    assert "flag.disable" in log and "delivered" in log and "200" in log
    detail = admin_client.get(f"/admin/notifications/webhookdelivery/{delivery.pk}/change/")
    assert detail.status_code == 200 and SECRET not in detail.content.decode()


@pytest.mark.django_db
def test_webhook_form__short_secret_and_bad_url__refused_with_reasons(admin_client: Client) -> None:
    url = "/admin/notifications/webhook/add/"
    form = open_admin_form(admin_client, url)
    form.fill({"name": "x", "url": "not a url", "secret": "short"})
    page = post_as_browser(admin_client, url, form.submission()).content.decode()
    assert "Use at least 16 characters." in page and "Enter a valid URL." in page
    assert not Webhook.objects.exists()


@pytest.mark.django_db
def test_trigger__created_in_admin__url_shown_once__revoked_by_the_action(
    admin_client: Client,
) -> None:
    flag = flag_create(name="hub", actor=ACTOR, source="command", enabled=True)
    url = "/admin/notifications/flagtrigger/add/"
    form = open_admin_form(admin_client, url)
    form.fill({"flag": str(flag.pk), "label": "alertmanager"})
    response = post_as_browser(admin_client, url, form.submission())
    shown = admin_client.get(response["Location"]).content.decode()
    trigger = FlagTrigger.objects.get()
    assert f"/api/v1/triggers/{trigger.prefix}_" in shown and "never be shown again" in shown
    secret = shown.split("/api/v1/triggers/")[1].split(" ")[0]
    # never again: not on the list, not on its page
    assert secret not in admin_client.get("/admin/notifications/flagtrigger/").content.decode()
    page = admin_client.get(f"/admin/notifications/flagtrigger/{trigger.pk}/change/")
    assert secret not in page.content.decode()
    # when it is revoked with the list's action
    changelist = admin_client.get("/admin/notifications/flagtrigger/").content.decode()
    post_as_browser(
        admin_client,
        "/admin/notifications/flagtrigger/",
        [
            ("csrfmiddlewaretoken", csrf_token_in(changelist)),
            ("action", "revoke_triggers"),
            ("_selected_action", str(trigger.pk)),
            ("index", "0"),
        ],
    )
    trigger.refresh_from_db()
    assert trigger.revoked_at is not None
    assert admin_client.post(f"/api/v1/triggers/{secret}").status_code == 404
