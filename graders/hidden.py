"""The per-course secret that seeds each check's hidden search.

Every check runs two searches: the explained one (derandomized, the same inputs for everyone,
the failing input shown) and the hidden one, whose inputs are drawn from a seed derived from
this secret and are never shown. Whoever knows the explained inputs can special-case them; the
hidden inputs cannot be known without the secret, which only the trusted grader process holds:
it becomes a Hypothesis seed there and is never sent to the worker or written into a result.

``grader grade`` stores the secret in the gradebook (so a regrade draws the same hidden inputs)
and refuses a different one; ``grader check``, ``grader samples`` and ``grader validate`` use
:data:`PRACTICE` unless given ``--secret-file``. PRACTICE is public: its hidden inputs predict
the grade's behaviour, but only a course secret keeps them unknown to students.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

__all__ = ["PRACTICE", "SECRET_FILE_ENV", "CourseSecret"]

#: Environment variable naming a secret file, the default of ``--secret-file``.
SECRET_FILE_ENV = "GRADER_SECRET_FILE"

_MIN_BYTES = 16  # below 128 bits a secret could be guessed by trying the hidden searches


class CourseSecret:
    """A secret key; its repr shows a fingerprint, never the key.

    Parameters
    ----------
    key
        At least 16 bytes.

    Raises
    ------
    ValueError
        If ``key`` is shorter than 16 bytes.
    """

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if type(key) is not bytes or len(key) < _MIN_BYTES:
            raise ValueError(f"a course secret needs at least {_MIN_BYTES} bytes")
        self._key = key

    @classmethod
    def generate(cls) -> CourseSecret:
        """A fresh random secret (256 bits)."""
        return cls(secrets.token_bytes(32))

    @classmethod
    def from_text(cls, text: str) -> CourseSecret:
        """The secret written by :meth:`to_text` (``hex:`` and hex digits), or any other text of
        16+ bytes, e.g. a passphrase. Surrounding whitespace (a trailing newline) is not part
        of the secret.
        """
        text = text.strip()
        if text.startswith("hex:"):
            return cls(bytes.fromhex(text[4:]))
        return cls(text.encode("utf-8"))

    @classmethod
    def from_file(cls, path: Path) -> CourseSecret:
        """Read a secret file; a ``ValueError`` names the file when it cannot be used."""
        try:
            return cls.from_text(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ValueError(f"cannot use {path} as a course secret: {exc}") from exc

    @classmethod
    def from_environment(cls) -> CourseSecret | None:
        """The secret in the file named by ``$GRADER_SECRET_FILE``, if the variable is set."""
        path = os.environ.get(SECRET_FILE_ENV)
        return cls.from_file(Path(path)) if path else None

    def to_text(self) -> str:
        """A printable form that :meth:`from_text` reads back."""
        return self._key.decode("utf-8") if _printable(self._key) else "hex:" + self._key.hex()

    @property
    def fingerprint(self) -> str:
        """A one-way hash that tells secrets apart without revealing them."""
        return hmac.new(self._key, b"mle-grader fingerprint", hashlib.sha256).hexdigest()[:16]

    def seed(self, *parts: str) -> int:
        """The hidden search's seed for one check, e.g. ``seed(slug, question, check)``.

        Independent per check (a keyed hash of the parts), so knowing one check's hidden
        inputs tells nothing about another's or about the key.
        """
        message = "\x00".join(("hidden-search", *parts)).encode("utf-8")
        return int.from_bytes(hmac.new(self._key, message, hashlib.sha256).digest()[:16], "big")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CourseSecret) and hmac.compare_digest(self._key, other._key)

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def __repr__(self) -> str:
        return f"CourseSecret(fingerprint={self.fingerprint})"

    def __reduce__(self) -> tuple[object, ...]:
        # Grader processes of a batch receive the secret with their task (trusted to trusted).
        return (CourseSecret, (self._key,))


def _printable(key: bytes) -> bool:
    try:
        text = key.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return text == text.strip() and text.isprintable() and not text.startswith("hex:")


#: The public secret of practice runs (``check``, ``samples``, ``validate`` by default).
PRACTICE = CourseSecret(b"mle-grader practice: public, not a course secret")
