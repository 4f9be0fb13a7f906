"""Tokens: how they are made, how they are stored (a hash only), how a request's is checked.

One reason to change: what a token is and how a caller is recognised from one. A token is 32
random bytes (``secrets.token_urlsafe``); the database holds its SHA-256 only, so a copy of the
database gives no one a student's token. A request's token is hashed and looked up by its hash:
nothing compares the secret character by character, so its timing tells nothing about the
token.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = ["Authenticator", "Identity", "hash_token", "new_token"]

Role = Literal["student", "instructor"]
_BEARER = "bearer "
_MAX_TOKEN_CHARS = 256  # a longer header is not one of our tokens: not even hashed


def new_token() -> str:
    """A fresh random token (43 URL-safe characters, 256 bits) that does not start with ``-``:
    ``grader submit --token TOKEN`` would read such a token as an option and refuse it."""
    while True:
        token = secrets.token_urlsafe(32)
        if not token.startswith("-"):
            return token


def hash_token(token: str) -> str:
    """The stored form of ``token``: its SHA-256, in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Identity:
    """Who a valid token belongs to: a student (with their id) or the instructor."""

    role: Role
    student: str | None = None

    @property
    def is_instructor(self) -> bool:
        """True for the instructor's token."""
        return self.role == "instructor"


class Authenticator:
    """Recognises the course's tokens from their hashes.

    Parameters
    ----------
    hashes
        ``(token hash, identity)`` for every token of the course.
    """

    def __init__(self, hashes: Iterable[tuple[str, Identity]]) -> None:
        self._by_hash: Mapping[str, Identity] = dict(hashes)

    def identify(self, authorization: str | None) -> Identity | None:
        """The identity of an ``Authorization: Bearer TOKEN`` header, or None if not valid."""
        if not authorization or len(authorization) > _MAX_TOKEN_CHARS + len(_BEARER):
            return None
        if authorization[: len(_BEARER)].lower() != _BEARER:
            return None
        # Looked up by its hash: what a timing can reveal is about the hash, not the token.
        return self._by_hash.get(hash_token(authorization[len(_BEARER) :].strip()))
