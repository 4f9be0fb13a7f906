"""Who is signed in to the web pages: server-side sessions, each with its own CSRF token.

One reason to change: how a browser stays signed in. Signing in with a course token makes a
session: a random id (the only thing the cookie holds: never the token) mapped, in this
process's memory, to the identity and a per-session CSRF token that every POST form carries
back. Sessions end after ``lifetime`` seconds or at sign-out; a restarted server forgets them
(its users sign in again: nothing else is lost). At most ``capacity`` are kept (the oldest go
first), so a flood of sign-ins cannot grow the server's memory.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from graders.service.auth import Identity

__all__ = ["COOKIE", "Session", "Sessions", "same_token"]

#: The session cookie's name.
COOKIE = "grader_session"
_DEFAULT_LIFETIME = 12 * 3600.0
_DEFAULT_CAPACITY = 10_000


@dataclass(frozen=True)
class Session:
    """One signed-in browser: its cookie value, who it is, its CSRF token and its end."""

    id: str
    identity: Identity
    csrf: str
    expires: float


def same_token(expected: str, given: str | None) -> bool:
    """Whether ``given`` equals ``expected``, compared in constant time (False for None)."""
    if not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


class Sessions:
    """The signed-in sessions of one server process (thread-safe).

    Parameters
    ----------
    lifetime
        Seconds a session lasts from sign-in.
    capacity
        Most sessions kept; signing in past it ends the oldest.
    """

    def __init__(
        self, lifetime: float = _DEFAULT_LIFETIME, capacity: int = _DEFAULT_CAPACITY
    ) -> None:
        self.lifetime = lifetime
        self.capacity = capacity
        self._by_id: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def start(self, identity: Identity) -> Session:
        """A new session of ``identity`` (a fresh id and CSRF token)."""
        session = Session(
            id=secrets.token_urlsafe(32),
            identity=identity,
            csrf=secrets.token_urlsafe(32),
            expires=time.time() + self.lifetime,
        )
        with self._lock:
            self._by_id[session.id] = session
            while len(self._by_id) > self.capacity:
                self._by_id.popitem(last=False)
        return session

    def get(self, session_id: str | None) -> Session | None:
        """The live session of a cookie value, or None (unknown, malformed or expired)."""
        if not session_id or len(session_id) > 100:
            return None
        with self._lock:
            session = self._by_id.get(session_id)
            if session is not None and session.expires <= time.time():
                del self._by_id[session_id]
                return None
        return session

    def end(self, session_id: str | None) -> None:
        """Sign out: forget the session (nothing happens for an unknown id)."""
        if session_id:
            with self._lock:
                self._by_id.pop(session_id, None)
