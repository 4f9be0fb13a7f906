"""Sessions of the web pages: random ids, their end, their bound; constant-time token checks."""

from __future__ import annotations

import time

import pytest

from graders.service.auth import Identity
from graders.service.session import Sessions, same_token

ADA = Identity("student", "ada")


def test_a_session_is_found_by_its_id_only_and_ends_at_sign_out() -> None:
    sessions = Sessions()
    one, two = sessions.start(ADA), sessions.start(ADA)
    assert one.id != two.id and one.csrf != two.csrf and len(one.id) >= 43
    assert sessions.get(one.id) == one
    for wrong in (None, "", one.csrf, one.id + "x", "x" * 1000):
        assert sessions.get(wrong) is None
    sessions.end(one.id)
    assert sessions.get(one.id) is None and sessions.get(two.id) == two


def test_a_session_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    sessions = Sessions(lifetime=60)
    session = sessions.start(ADA)
    monkeypatch.setattr(time, "time", lambda: session.expires)
    assert sessions.get(session.id) is None


def test_past_capacity_the_oldest_session_ends() -> None:
    sessions = Sessions(capacity=2)
    first, second, third = (sessions.start(ADA) for _ in range(3))
    assert sessions.get(first.id) is None
    assert sessions.get(second.id) == second and sessions.get(third.id) == third


def test_same_token() -> None:
    assert same_token("abc", "abc")
    assert not same_token("abc", "abd") and not same_token("abc", None)
    assert not same_token("abc", "") and not same_token("", "")
