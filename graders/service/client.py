"""``grader submit``'s side of the API: upload a file, wait for its grade, rebuild the result.

One reason to change: how a client talks to the service (the standard library's HTTP client,
so a student's install needs nothing more). What the server sends back is data from the network:
:func:`result_from_document` checks it through the result's own constructors, and anything
unexpected is a :class:`ServiceError`, never a crash.
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from graders.results import CheckResult, SubmissionResult

__all__ = ["FINISHED", "ServiceError", "request_json", "result_from_document", "submit", "wait"]

#: Statuses after which an attempt changes no more (until a regrade).
FINISHED = frozenset({"graded", "ungradable", "error"})
_MAX_REPLY_BYTES = 16 * 1024 * 1024


class ServiceError(RuntimeError):
    """The service refused a request, could not be reached, or answered nonsense."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def request_json(
    url: str, token: str, *, data: bytes | None = None, content_type: str | None = None
) -> Any:
    """GET (or POST ``data``) ``url`` with the token; the JSON answer.

    Raises
    ------
    ServiceError
        The service refused (with its status and message), was unreachable, or did not answer
        with JSON.
    """
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            body = reply.read(_MAX_REPLY_BYTES)
    except urllib.error.HTTPError as exc:
        raise ServiceError(_message_of(exc), exc.code) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ServiceError(f"cannot reach the grading service at {url}: {reason}") from None
    try:
        return json.loads(body)
    except ValueError:
        raise ServiceError(f"{url} did not answer with JSON") from None


def _message_of(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read(64 * 1024))
        message = body.get("message") if isinstance(body, dict) else None
    except (ValueError, OSError):
        message = None
    return f"the service refused ({error.code}): {message or error.reason}"


def submit(server: str, token: str, path: Path, assignment: str) -> int:
    """Upload ``path`` for ``assignment``; the new attempt's id."""
    boundary = secrets.token_hex(16)
    name = path.name.replace('"', "_").replace("\r", "_").replace("\n", "_")
    body = b"".join(
        [
            f'--{boundary}\r\nContent-Disposition: form-data; name="assignment"\r\n\r\n'.encode(),
            assignment.encode("utf-8"),
            f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode(),
            path.read_bytes(),
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    reply = request_json(
        _url(server, "/api/submissions"),
        token,
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    if not isinstance(reply, dict) or type(reply.get("id")) is not int:
        raise ServiceError("the service acknowledged the upload without an id")
    return int(reply["id"])


def wait(
    server: str,
    token: str,
    attempt: int,
    *,
    timeout: float = 600.0,
    interval: float = 0.25,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Poll the attempt until it is finished; its JSON (``status``, ``results``, ...)."""
    deadline = time.monotonic() + timeout
    url = _url(server, f"/api/submissions/{attempt}")
    while True:
        reply = request_json(url, token)
        if not isinstance(reply, dict):
            raise ServiceError("the service answered with something other than a submission")
        if reply.get("status") in FINISHED:
            return reply
        if time.monotonic() > deadline:
            raise ServiceError(
                f"submission {attempt} is still {reply.get('status')!r} after {timeout:g} s; "
                "it stays queued: ask for it later"
            )
        sleep(interval)


def result_from_document(document: Mapping[str, Any]) -> SubmissionResult:
    """The result a student's results.json document describes (for the terminal report).

    Raises
    ------
    ServiceError
        If the document is not one the service writes.
    """
    try:
        extra = document["extra_data"]
        checks = tuple(
            CheckResult(
                check_id=test["extra_data"]["check_id"],
                question=test["extra_data"]["question"],
                name=test["name"],
                status=test["extra_data"]["status"],
                score=float(test["score"]),
                max_score=float(test["max_score"]),
                message=test["extra_data"].get("message") or "",
                counterexample=test["extra_data"].get("counterexample"),
                diagnosis=test["extra_data"].get("diagnosis"),
                behaviour=test["extra_data"].get("behaviour"),
                visibility=test.get("visibility", "visible"),
            )
            for test in document["tests"]
        )
        return SubmissionResult(
            student=extra["student"],
            assignment=extra["assignment"],
            status=extra["submission_status"],
            checks=checks,
            isolation=extra["isolation"],
            notes=tuple(extra["notes"]),
            cell_reports=tuple(extra["cells"]),
            timings=dict(extra["timings"]),
            sha256=extra["sha256"],
            message=extra["message"],
            assignment_max_score=float(document["max_score"]),
            skipped_cells=tuple(extra.get("skipped_cells", ())),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ServiceError(f"the service sent a result this client cannot read: {exc}") from None


def _url(server: str, path: str) -> str:
    return urllib.parse.urljoin(server.rstrip("/") + "/", path.lstrip("/"))
