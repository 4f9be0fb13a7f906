"""Taking an upload from the web pages' form: the API's checks, then stored before it is shown.

One reason to change: what the upload form accepts. The rules are the API's (``app.py``): the
rate limit, the size cap (read through a byte cap, so a larger body is refused before it is all
received), ``closes``, a ``.py`` module in UTF-8 or an ``.ipynb`` that parses as a JSON object;
the file is written and synced, then its attempt committed as ``queued``. Nothing of it runs
here. The checks are the API's own functions; the storing mirrors the API's closure, which
cannot be called from outside ``create_app`` (the two could share this module later).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import PurePath

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request

from graders.service.app import _FORM_OVERHEAD, _HOUR, _capped, _display_name, _file_problem
from graders.service.app import _TooLarge as TooLarge
from graders.service.course import Course

__all__ = ["Refused", "Upload", "read_upload", "store_upload"]


class Refused(Exception):
    """The upload is not taken: ``status`` (413, 422, 429) and a message for the student."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Upload:
    """A form's fields: the CSRF token, the file's display name and bytes (checked)."""

    csrf: str | None
    name: str
    data: bytes


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.timezone.utc)


def rate_limited(course: Course, student: str) -> Refused | None:
    """The 429 refusal if ``student`` used up the hour's submissions, else None."""
    limit = course.settings.rate_limit_per_hour
    now = time.time()
    count, oldest = course.store.submitted_since(student, now - _HOUR)
    if count < limit:
        return None
    wait = max(int((oldest or now) + _HOUR - now) + 1, 1)
    return Refused(
        429, f"at most {limit} submissions an hour; try again in {wait // 60} min {wait % 60} s"
    )


async def read_upload(request: Request, course: Course, slug: str) -> Upload:
    """Read the upload form of ``slug`` (fields ``csrf`` and ``file``); :class:`Refused` if not."""
    settings = course.settings
    cap = settings.max_upload_bytes
    too_large = Refused(413, f"the file is larger than the course's cap of {cap} bytes")
    closes = settings.assignments[slug].closes
    if closes is not None and dt.datetime.now(dt.timezone.utc) >= _aware(closes):
        raise Refused(422, f"{slug} closed at {_aware(closes).isoformat()}: no more uploads")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap + _FORM_OVERHEAD:
        raise too_large
    capped = Request(request.scope, _capped(request.receive, cap + _FORM_OVERHEAD))
    try:
        form = await capped.form(max_files=1, max_fields=2, max_part_size=64 * 1024)
    except TooLarge:
        raise too_large from None
    except StarletteHTTPException as exc:
        raise Refused(422, f"the upload is not a valid form: {exc.detail}") from None
    try:
        csrf = form.get("csrf")
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise Refused(422, "choose a file (a .py module or an .ipynb notebook) to upload")
        data = await upload.read(cap + 1)
        if len(data) > cap:
            raise too_large
        name = _display_name(upload.filename)
        problem = _file_problem(name, data)
        if problem is not None:
            raise Refused(422, problem)
    finally:
        await form.close()
    return Upload(csrf=csrf if isinstance(csrf, str) else None, name=name, data=data)


def store_upload(course: Course, student: str, slug: str, upload: Upload) -> int:
    """Write the file, sync it, then commit its attempt as ``queued``; the attempt's id."""
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
        limit=(course.settings.rate_limit_per_hour, _HOUR),
    )
    if attempt is None:  # another request of the student's took the last place
        path.unlink()
        refused = rate_limited(course, student)
        raise refused or Refused(429, "too many submissions this hour; try again later")
    return attempt
