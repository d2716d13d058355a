"""A user id the admin's list box cannot show back is refused wherever a list is written.

The change form shows a whitelist one id per line and reads it back split on lines and commas,
so an id holding a comma or a line break (accepted once by `flags whitelist add` or the API)
came back as other ids: saving the form unchanged rewrote the whitelist, and the user silently
lost the flag (issue 11, defect 1's kind, found by trying the shell command then the form).
"""

from __future__ import annotations

import pytest
from django.test import Client

from flags import services
from flags.models import Flag, FlagChange
from flags.tests.api.conftest import Api, error_of, make_flag
from llmhub.actors import Actor

pytestmark = pytest.mark.django_db
SEPARATED = ["bad,user", "two\nlines", "carriage\rreturn", "line\u2028separator"]


@pytest.mark.parametrize("user_id", SEPARATED)
def test_api__user_id_with_a_list_separator__400_naming_it(admin_api: Api, user_id: str) -> None:
    make_flag("hub")
    response = admin_api.patch("/api/v1/features/hub", {"whitelist_users": ["alice", user_id]})
    assert response.status_code == 400
    error = error_of(response)
    assert "whitelist_users" in error["fields"]
    assert repr(user_id) in error["message"]
    assert Flag.objects.get(name="hub").whitelist_users == []


def test_id_with_inner_space__admin_form_saved_unchanged__keeps_it(admin_client: Client) -> None:
    # what the list box can show back is kept as typed, spaces inside included
    flag = services.flag_create(
        name="hub",
        actor=Actor.system("test"),
        source="command",
        whitelist_users=["Jane Doe", "bob"],
    )
    url = f"/admin/flags/flag/{flag.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert "Jane Doe\nbob</textarea>" in page, page[page.find("id_whitelist_users") - 200 :][:400]
    response = admin_client.post(
        url,
        {
            "description": "",
            "owner": "",
            "tags": "",
            "rollout_percentage": "0",
            "rollout_group": "hub",
            "whitelist_users": "Jane Doe\r\nbob",
            "blacklist_users": "",
            "expected_version": str(flag.version),
            "changes-TOTAL_FORMS": "1",
            "changes-INITIAL_FORMS": "1",
            "changes-MIN_NUM_FORMS": "0",
            "changes-MAX_NUM_FORMS": "0",
            "changes-0-id": str(FlagChange.objects.get(flag=flag).pk),
            "changes-0-flag": str(flag.pk),
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    assert Flag.objects.get(pk=flag.pk).whitelist_users == ["Jane Doe", "bob"]
    assert FlagChange.objects.filter(flag_name="hub").count() == 1
