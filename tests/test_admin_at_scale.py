"""Admin pages at scale (issue 16, point 3), with scaled-down data: what a page renders and how
many queries it makes stay the same however long a flag's history or a list grows."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from flags import services
from flags.admin_history import RECENT_CHANGES, summary
from flags.models import Flag, FlagChange
from llmhub.actors import Actor
from llmhub.api.tokens.services import token_create
from telemetry.models import Event, EventSummary, FlagEvaluationCount
from tests.html_forms import admin_form

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("scale test")
SHORT, LONG = 3, 3 * RECENT_CHANGES  # versions of a short and a long history


def _flag_with_versions(name: str, versions: int) -> Flag:
    services.flag_create(name=name, actor=ACTOR, source="command", tags=["hub"])
    for version in range(2, versions + 1):
        services.flag_set_rollout(name=name, percentage=version % 100, actor=ACTOR, source="api")
    return Flag.objects.get(name=name)


def _get(client: Client, url: str) -> tuple[str, int]:
    """The page's HTML and the number of queries it took."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode(), len(queries.captured_queries)


def _change_page(client: Client, flag: Flag) -> tuple[str, int]:
    return _get(client, reverse("admin:flags_flag_change", args=[flag.pk]))


def _history_rows(html: str) -> int:
    return html.count("rollout_percentage: ")


# --- the flag's page -------------------------------------------------------------------------


def test_flag_page__long_history__shows_the_latest_changes_and_links_the_rest(
    admin_client: Client,
) -> None:
    # given a flag with three times as many versions as the page shows
    flag = _flag_with_versions("hub", LONG)
    # when its page is opened
    html, _ = _change_page(admin_client, flag)
    # then only the latest changes are listed, newest first, with a link to the full history
    assert _history_rows(html) == RECENT_CHANGES
    assert f"<td>{LONG}</td>" in html and f"<td>{LONG - RECENT_CHANGES}</td>" not in html
    link = reverse("admin:flags_flagchange_changelist") + "?flag_name=hub"
    assert f'href="{link}"' in html


def test_flag_page__queries_and_size__do_not_grow_with_the_history(admin_client: Client) -> None:
    # given a flag with a short history and one with a long one
    short = _flag_with_versions("short", RECENT_CHANGES + 1)
    long = _flag_with_versions("long_", LONG)
    # when each page is opened
    short_html, short_queries = _change_page(admin_client, short)
    long_html, long_queries = _change_page(admin_client, long)
    # then both take the same queries and about the same bytes
    assert long_queries == short_queries
    assert abs(len(long_html) - len(short_html)) < 200, (len(long_html), len(short_html))


def test_flag_page__unchanged_save__still_saves_nothing(admin_client: Client) -> None:
    # given a flag with a long history, its page submitted as rendered
    flag = _flag_with_versions("hub", LONG)
    html, _ = _change_page(admin_client, flag)
    form = admin_form(html)
    response = admin_client.post(
        reverse("admin:flags_flag_change", args=[flag.pk]), dict(form.submission())
    )
    # then it saves, and writes no version
    assert response.status_code == 302
    assert Flag.objects.get(pk=flag.pk).version == LONG


def test_history_summary__a_huge_list_edit__is_one_short_line() -> None:
    services.flag_create(name="hub", actor=ACTOR, source="command", whitelist_users=["amy"])
    ids = [f"user-{n:05d}" for n in range(5_000)]
    services.flag_edit_lists(
        name="hub", actor=ACTOR, source="api", whitelist_add=ids, whitelist_remove=["amy"]
    )
    line = summary(FlagChange.objects.get(flag_name="hub", version=2))
    assert line == (
        "whitelist_users: added user-00000, user-00001, user-00002, user-00003, user-00004, "
        "… (5000 in all) and removed amy"
    )


def test_full_history__one_flag_only__newest_first(admin_client: Client) -> None:
    # given two flags with histories
    _flag_with_versions("hub", LONG)
    _flag_with_versions("other", SHORT)
    # when the full-history link of one is followed
    html, _ = _get(admin_client, reverse("admin:flags_flagchange_changelist") + "?flag_name=hub")
    # then the list holds its versions only
    assert f"{LONG} flag changes" in html or f"{LONG} flag change" in html
    assert ">other<" not in html


def test_flagchange_list__no_snapshot_read_and_queries_constant(admin_client: Client) -> None:
    url = reverse("admin:flags_flagchange_changelist")
    _flag_with_versions("hub", SHORT)
    _, few = _get(admin_client, url)
    _flag_with_versions("other", LONG)
    with CaptureQueriesContext(connection) as queries:
        assert admin_client.get(url).status_code == 200
    listing = [q["sql"] for q in queries.captured_queries if "ORDER BY" in q["sql"]]
    assert listing and all('"before"' not in sql for sql in listing if "flagchange" in sql)
    assert len(queries.captured_queries) == few


# --- the roll-back action --------------------------------------------------------------------


def _roll_back(client: Client, flag: Flag, **extra: str) -> tuple[str, int]:
    data = {"action": "roll_back", ACTION_CHECKBOX_NAME: [str(flag.pk)], **extra}
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("admin:flags_flag_changelist"), data)
    assert response.status_code in (200, 302)
    return response.content.decode(), len(queries.captured_queries)


def test_roll_back__asks_for_a_number__not_a_list_of_every_version(admin_client: Client) -> None:
    # given a flag with a short and one with a long history
    short = _flag_with_versions("short", SHORT)
    long = _flag_with_versions("long_", LONG)
    # when the action is chosen for each
    _, short_queries = _roll_back(admin_client, short)
    long_html, long_queries = _roll_back(admin_client, long)
    # then the version is a number input, the latest changes are listed, and the cost is the same
    assert re.search(r'<input type="number" name="version"[^>]*min="1"', long_html)
    assert "<option" not in long_html
    assert _history_rows(long_html) == RECENT_CHANGES
    assert long_queries == short_queries


def test_roll_back__the_rendered_form_submitted__restores_that_version(
    admin_client: Client,
) -> None:
    flag = _flag_with_versions("hub", LONG)
    html, _ = _roll_back(admin_client, flag)
    form = admin_form(html)
    form.fill({"version": "5", "comment": "back to 5"})
    response = admin_client.post(
        reverse("admin:flags_flag_changelist"), _pairs(form.submission(button=None))
    )
    assert response.status_code == 302
    flag.refresh_from_db()
    assert (flag.rollout_percentage, flag.version) == (5, LONG + 1)


def test_roll_back__a_version_that_does_not_exist__refused_and_nothing_changes(
    admin_client: Client,
) -> None:
    flag = _flag_with_versions("hub", SHORT)
    html, _ = _roll_back(admin_client, flag, apply="1", version="999")
    assert "hub has no version 999 to restore" in html
    assert Flag.objects.get(pk=flag.pk).version == SHORT


def _pairs(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    data: dict[str, list[str]] = {}
    for name, value in pairs:
        data.setdefault(name, []).append(value)
    return data


# --- lists -----------------------------------------------------------------------------------


def test_flag_list__queries_do_not_grow_with_flags(admin_client: Client) -> None:
    url = reverse("admin:flags_flag_changelist")
    for n in range(3):
        services.flag_create(name=f"few-{n}", actor=ACTOR, source="command", tags=["a", "b"])
    _, few = _get(admin_client, url)
    for n in range(40):
        services.flag_create(name=f"many-{n}", actor=ACTOR, source="command", tags=[f"t{n % 5}"])
    _, many = _get(admin_client, url)
    assert many == few


def test_token_list__queries_do_not_grow_with_tokens(admin_client: Client) -> None:
    url = reverse("admin:tokens_apitoken_changelist")
    owners = [User.objects.create_user(f"owner{n}") for n in range(12)]
    token_create(
        username=owners[0].username, scope="read", label="first", actor=Actor.system("tests")
    )
    _, few = _get(admin_client, url)
    for n, owner in enumerate(owners):
        token_create(
            username=owner.username, scope="read", label=f"token {n}", actor=Actor.system("tests")
        )
    _, many = _get(admin_client, url)
    assert many == few


def _events(count: int, **fields: Any) -> None:
    now = timezone.now()
    Event.objects.bulk_create(
        Event(
            event_id=uuid.uuid4(),
            event_type="api_call",
            occurred_at=now - timedelta(seconds=n),
            received_at=now,
            **fields,
        )
        for n in range(count)
    )


@pytest.mark.parametrize(
    "url", ["/admin/telemetry/event/", "/admin/telemetry/event/?event_type__exact=api_call"]
)
def test_event_list__never_reads_every_event(admin_client: Client, url: str) -> None:
    # given events with many pages, flags and cohorts
    _events(30, page="hub", flag="f1", cohort="new_hub")
    # when the list is opened
    with CaptureQueriesContext(connection) as queries:
        assert admin_client.get(url).status_code == 200
    # then no query lists distinct values of the events, and the count stops at a cap
    on_events = [q["sql"] for q in queries.captured_queries if '"telemetry_event"' in q["sql"]]
    assert on_events and not [sql for sql in on_events if "DISTINCT" in sql]
    counts = [sql for sql in on_events if "COUNT(" in sql]
    assert counts and all("LIMIT 10000" in sql for sql in counts), counts


def test_event_list__filter_values_come_from_the_summaries(admin_client: Client) -> None:
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    EventSummary.objects.create(
        bucket_size="hour",
        bucket_start=hour,
        event_type="page_view",
        page="llm-hub",
        flag="unified_llm_hub",
        cohort="new_hub",
        count=1,
        users=1,
        errors=0,
        updated_at=hour,
    )
    html, _ = _get(admin_client, "/admin/telemetry/event/")
    assert "?page=llm-hub" in html and "?flag=unified_llm_hub" in html
    filtered, _ = _get(admin_client, "/admin/telemetry/event/?flag=unified_llm_hub")
    assert "0 events" in filtered


def test_evaluation_counts__page_does_not_grow_with_flags(admin_client: Client) -> None:
    url = "/admin/telemetry/flagevaluationcount/"
    minute = datetime(2026, 11, 5, 9, 30, tzinfo=UTC)
    rows = [
        FlagEvaluationCount(
            bucket_start=minute - timedelta(minutes=n // 200),
            flag=f"flag-{n:04d}",
            reason="DEFAULT",
            enabled=False,
            count=1,
        )
        for n in range(400)
    ]
    FlagEvaluationCount.objects.bulk_create(rows[:150])
    few_html, few = _get(admin_client, url)
    FlagEvaluationCount.objects.bulk_create(rows[150:])
    many_html, many = _get(admin_client, url)
    assert many == few
    assert "flag-0399" not in many_html  # not offered as a filter choice past the first page
    assert abs(len(many_html) - len(few_html)) < 500
