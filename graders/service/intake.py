"""Taking an upload, from the API or the web pages' form: the checks, then stored first.

One reason to change: what an upload must be and how it is kept. The rules are the same for
both doors: the rate limit, the size cap (read through a byte cap, so a larger body is refused
before it is all received), ``closes``, a ``.py`` module in UTF-8 or an ``.ipynb`` that parses
as a JSON object; the file is written and synced, then its attempt committed as ``queued``.
Nothing of it runs here. A refusal is :class:`Refused`, which each door words as it answers
(JSON for the API, a page for the form).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import PurePath

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.types import Message

from graders.service.course import Course
from graders.service.settings import utc

__all__ = [
    "FORM_OVERHEAD",
    "HOUR",
    "SUFFIXES",
    "BadForm",
    "Refused",
    "TooLarge",
    "Upload",
    "capped",
    "closed",
    "display_name",
    "file_problem",
    "open_form",
    "rate_limited",
    "read_body",
    "read_file",
    "read_upload",
    "store_upload",
]

#: The files accepted, as ``grader check`` grades them.
SUFFIXES = (".py", ".ipynb")
FORM_OVERHEAD = 64 * 1024  # multipart boundaries, headers and the other fields
HOUR = 3600.0  # the rate limit's window


class Refused(Exception):
    """The upload is not taken: ``status`` (413, 422, 429), a message for the student, and for
    a 429 the seconds until the next upload is taken."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


class TooLarge(Exception):
    """The request body passed the cap while it was being received."""


def capped(
    receive: Callable[[], Awaitable[Message]], limit: int
) -> Callable[[], Awaitable[Message]]:
    """``receive`` that raises :class:`TooLarge` once more than ``limit`` body bytes came."""
    seen = 0

    async def receive_capped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise TooLarge
        return message

    return receive_capped


def file_problem(name: str, data: bytes) -> str | None:
    """Why ``data`` is not a submission the grader can take, or None."""
    suffix = PurePath(name).suffix.lower()
    if suffix not in SUFFIXES:
        return f"only .py modules and .ipynb notebooks are accepted, not {name!r}"
    if not data:
        return f"{name!r} is empty"
    if suffix == ".py":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return f"{name!r} is not UTF-8 text, so it is not a Python module"
        return None
    try:
        notebook = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        return f"{name!r} is not a notebook: it does not parse as JSON ({exc})"
    if not isinstance(notebook, dict):
        return f"{name!r} is not a notebook: its JSON is not an object"
    return None


def display_name(name: str | None) -> str:
    """The uploaded file's own name, kept for its student: no folders, printable, bounded."""
    base = PurePath((name or "").replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isprintable())[:200]
    return base or "submission"


def closed(course: Course, slug: str) -> Refused | None:
    """The 422 refusal if ``slug`` closed (``closes`` in course.toml), else None."""
    closes = course.settings.assignments[slug].closes
    if closes is not None and dt.datetime.now(dt.timezone.utc) >= utc(closes):
        return Refused(422, f"{slug} closed at {utc(closes).isoformat()}: no more uploads")
    return None


@dataclass(frozen=True)
class Upload:
    """A form's fields: the CSRF token, the file's display name and bytes (checked)."""

    csrf: str | None
    name: str
    data: bytes


def rate_limited(course: Course, student: str) -> Refused | None:
    """The 429 refusal if ``student`` used up the hour's submissions, else None."""
    limit = course.settings.rate_limit_per_hour
    now = time.time()
    count, oldest = course.store.submitted_since(student, now - HOUR)
    if count < limit:
        return None
    wait = max(int((oldest or now) + HOUR - now) + 1, 1)
    return Refused(
        429,
        f"at most {limit} submissions an hour; try again in {wait // 60} min {wait % 60} s",
        retry_after=wait,
    )


class BadForm(Exception):
    """The multipart parser refused the body (its reason is the message)."""


async def open_form(request: Request, cap: int, max_fields: int) -> FormData:
    """The request's multipart form, its body read through a cap of ``cap`` bytes plus the
    form's overhead (close it when done).

    Raises
    ------
    TooLarge
        The declared or the received body is over the cap.
    BadForm
        The body is not a form the parser takes.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap + FORM_OVERHEAD:
        raise TooLarge
    limited = Request(request.scope, capped(request.receive, cap + FORM_OVERHEAD))
    try:
        return await limited.form(max_files=1, max_fields=max_fields, max_part_size=64 * 1024)
    except StarletteHTTPException as exc:  # the multipart parser's refusal
        raise BadForm(str(exc.detail)) from None


async def read_body(request: Request, cap: int) -> bytes:
    """The request's whole body, read through a cap of ``cap`` bytes.

    Raises
    ------
    TooLarge
        The declared or the received body is over the cap.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise TooLarge
    return await Request(request.scope, capped(request.receive, cap)).body()


async def read_file(upload: UploadFile, cap: int) -> bytes:
    """The uploaded file's bytes; :class:`TooLarge` when there are more than ``cap``."""
    data = await upload.read(cap + 1)
    if len(data) > cap:
        raise TooLarge
    return data


async def read_upload(request: Request, course: Course, slug: str) -> Upload:
    """Read the upload form of ``slug`` (fields ``csrf`` and ``file``); :class:`Refused` if not."""
    settings = course.settings
    cap = settings.max_upload_bytes
    too_large = Refused(413, f"the file is larger than the course's cap of {cap} bytes")
    refused = closed(course, slug)
    if refused is not None:
        raise refused
    try:
        form = await open_form(request, cap, max_fields=2)
    except TooLarge:
        raise too_large from None
    except BadForm as exc:
        raise Refused(422, f"the upload is not a valid form: {exc}") from None
    try:
        csrf = form.get("csrf")
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise Refused(422, "choose a file (a .py module or an .ipynb notebook) to upload")
        try:
            data = await read_file(upload, cap)
        except TooLarge:
            raise too_large from None
        name = display_name(upload.filename)
        problem = file_problem(name, data)
        if problem is not None:
            raise Refused(422, problem)
    finally:
        await form.close()
    return Upload(csrf=csrf if isinstance(csrf, str) else None, name=name, data=data)


def store_upload(course: Course, student: str, slug: str, upload: Upload) -> int:
    """Write the file, sync it, then commit its attempt as ``queued``; the attempt's id.

    Raises
    ------
    Refused
        429, when another upload of the student's took the hour's last place meanwhile (the
        file written is removed again).
    """
    digest = hashlib.sha256(upload.data).hexdigest()
    relative = f"uploads/{secrets.token_hex(12)}{PurePath(upload.name).suffix.lower()}"
    path = course.root / relative
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(upload.data)
        handle.flush()
        os.fsync(handle.fileno())
    folder = os.open(path.parent, os.O_RDONLY)
    try:  # the file's name is on disk before the row that names it is committed
        os.fsync(folder)
    finally:
        os.close(folder)
    attempt = course.store.enqueue(
        assignment=slug,
        student=student,
        filename=upload.name,
        upload=relative,
        sha256=digest,
        size=len(upload.data),
        limit=(course.settings.rate_limit_per_hour, HOUR),
    )
    if attempt is None:  # another request of the student's took the last place
        path.unlink()
        refused = rate_limited(course, student)
        raise refused or Refused(429, "too many submissions this hour; try again later")
    return attempt
