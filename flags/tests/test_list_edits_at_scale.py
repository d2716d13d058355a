"""Editing a flag's user lists at scale (issue 16, point 8): an over-long edit is refused before
any query or row lock, and the merge is linear in the number of ids."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from flags import services
from flags.errors import FlagValidationError
from flags.models import Flag
from flags.validation import MAX_LIST_ITEMS
from llmhub.actors import Actor

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("tests")


class CountedId(str):
    """A user id that counts how often it is compared for equality."""

    comparisons = 0

    def __eq__(self, other: object) -> bool:
        CountedId.comparisons += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def _edit(**lists: Any) -> Flag:
    return services.flag_edit_lists(name="hub", actor=ACTOR, source="api", **lists)


@pytest.mark.parametrize("key", ["whitelist_add", "blacklist_add", "whitelist_remove"])
def test_edit_lists__over_the_limit__refused_before_any_query(
    key: str, django_assert_num_queries: Any
) -> None:
    # given a flag and an edit of 50,000 ids (five times what a list may hold)
    services.flag_create(name="hub", actor=ACTOR, source="command", whitelist_users=["amy"])
    ids = [f"user-{n}" for n in range(50_000)]
    # when it is applied, then it is refused without a query: no row lock was ever taken
    with django_assert_num_queries(0), pytest.raises(FlagValidationError) as refused:
        _edit(**{key: ids})
    assert refused.value.fields == {key: [f"At most {MAX_LIST_ITEMS} user ids."]}
    assert Flag.objects.get(name="hub").whitelist_users == ["amy"]


def test_edit_lists__invalid_id__refused_before_any_query(django_assert_num_queries: Any) -> None:
    services.flag_create(name="hub", actor=ACTOR, source="command")
    with django_assert_num_queries(0), pytest.raises(FlagValidationError):
        _edit(blacklist_add=["ok", "x" * 500])


def test_edit_lists__largest_allowed_edit__same_queries_as_one_id(
    django_assert_num_queries: Any,
) -> None:
    # given two flags, one given a single id, then the other the largest allowed list
    services.flag_create(name="hub", actor=ACTOR, source="command")
    services.flag_create(name="one", actor=ACTOR, source="command")
    with CaptureQueriesContext(connection) as single:
        services.flag_edit_lists(name="one", actor=ACTOR, source="api", whitelist_add=["amy"])
    ids = [f"user-{n}" for n in range(MAX_LIST_ITEMS)]
    # then the large edit costs exactly the queries of the small one
    with django_assert_num_queries(len(single.captured_queries)):
        flag = _edit(whitelist_add=ids)
    assert flag.whitelist_users == ids


def test_edited_user_ids__linear_in_comparisons() -> None:
    # given 2,000 ids on the list and 2,000 ids to add, half of them already there
    current = [CountedId(f"user-{n}") for n in range(2_000)]
    add = [CountedId(f"user-{n}") for n in range(1_000, 3_000)]
    CountedId.comparisons = 0
    # when they are merged
    merged = services.edited_user_ids(current, add, [CountedId("user-5")])
    # then each id is compared a bounded number of times (a list lookup made it 2,000,000)
    assert CountedId.comparisons <= 4 * (len(current) + len(add))
    assert merged == [u for u in current if u != "user-5"] + add[1_000:]
