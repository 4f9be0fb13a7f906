"""The HTTP API of a served course (FastAPI): submit, poll, list; the instructor's exports.

One reason to change: the API's contract (routes, status codes, JSON shapes). Every error is JSON
``{"status": CODE, "message": "..."}``: 401 without a valid token, 403 for a student on an
instructor's route, 404 for an attempt that is not the caller's (whether or not it exists), 413
over the size cap, 422 for a bad assignment or file, 429 over the rate limit.

An upload is read through a byte cap (a larger body is refused before it is all received),
checked (a ``.py`` module in UTF-8, or an ``.ipynb`` that parses as a JSON object), written to
``uploads/`` and committed as ``queued`` before the 201 is sent. Nothing of it is run here: the
grading workers (:mod:`graders.service.queue`) grade it in the sandbox.
"""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at definition
# time, and the dependencies they name (`caller`, `instructor`) are local to create_app.
import datetime as dt
import hashlib
import json
import os
import secrets
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path, PurePath
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Message

from graders import summary as summaries
from graders.gradebook import Gradebook
from graders.report.notebook import NOTEBOOK, PAGE, feedback_files
from graders.service.auth import Authenticator, Identity
from graders.service.canvas import canvas_csv
from graders.service.client import result_from_document
from graders.service.course import Course
from graders.service.queue import Workers
from graders.service.store import Attempt
from graders.service.view import as_student_sees, instructor_document, student_document
from graders.spec import load_assignment

__all__ = ["SUFFIXES", "create_app"]

#: The files accepted, as ``grader check`` grades them.
SUFFIXES = (".py", ".ipynb")
_FORM_OVERHEAD = 64 * 1024  # multipart boundaries, headers and the assignment field
_HOUR = 3600.0
_GRADER_FAILED = (
    "The grader itself failed on this submission (not your code). Your instructor can see the "
    "error and regrade it."
)


class _TooLarge(Exception):
    """The request body passed the cap while it was being received."""


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> HTTPException:
    return HTTPException(status_code=status, detail=message, headers=headers)


def _iso(moment: float | None) -> str | None:
    if moment is None:
        return None
    return dt.datetime.fromtimestamp(moment, dt.timezone.utc).isoformat(timespec="seconds")


def _utc(moment: dt.datetime) -> dt.datetime:
    """A date-time without a zone is read as UTC (as ``course.toml``'s dates are)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.timezone.utc)


def _capped(
    receive: Callable[[], Awaitable[Message]], limit: int
) -> Callable[[], Awaitable[Message]]:
    """``receive`` that raises :class:`_TooLarge` once more than ``limit`` body bytes came."""
    seen = 0

    async def receive_capped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _TooLarge
        return message

    return receive_capped


def _file_problem(name: str, data: bytes) -> str | None:
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


def _display_name(name: str | None) -> str:
    """The uploaded file's own name, kept for its student: no folders, printable, bounded."""
    base = PurePath((name or "").replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isprintable())[:200]
    return base or "submission"


def create_app(course: Course, workers: Workers | None = None) -> FastAPI:
    """The API of ``course``.

    Parameters
    ----------
    course
        The opened course folder.
    workers
        The grading workers, started and stopped with the app (tests pass None and grade
        with :func:`graders.service.queue.grade_pending`).
    """
    store = course.store
    auth = Authenticator(store.identities())
    roster = set(store.students())
    settings = course.settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if workers is not None:
            await run_in_threadpool(workers.start)
        try:
            yield
        finally:
            if workers is not None:
                await run_in_threadpool(workers.stop)

    app = FastAPI(title="mle-grader", lifespan=lifespan, docs_url=None, redoc_url=None)

    # Starlette's class: also the router's own 404 and 405, and the form parser's refusals.
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"status": exc.status_code, "message": str(exc.detail)},
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        where = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
            for e in exc.errors()
        )
        return JSONResponse({"status": 422, "message": where}, status_code=422)

    def caller(authorization: Annotated[str | None, Header()] = None) -> Identity:
        who = auth.identify(authorization)
        if who is None:
            raise _error(
                401,
                "a valid token is needed: send `Authorization: Bearer TOKEN` with the token "
                "your instructor gave you",
                {"WWW-Authenticate": "Bearer"},
            )
        return who

    def instructor(who: Annotated[Identity, Depends(caller)]) -> Identity:
        if not who.is_instructor:
            raise _error(403, "only the instructor's token may use this route")
        return who

    def offered(slug: str | None) -> str:
        if not slug or slug not in settings.assignments:
            known = ", ".join(settings.assignments)
            raise _error(422, f"unknown assignment {slug!r}; this course offers: {known}")
        return slug

    def describe(attempt: Attempt, who: Identity, *, results: bool) -> dict[str, Any]:
        own = settings.assignments.get(attempt.assignment)
        now = dt.datetime.now(dt.timezone.utc)
        if not who.is_instructor and own is not None:
            attempt = as_student_sees(attempt, own, now)  # no total gives a left-out check away
        body: dict[str, Any] = {
            "id": attempt.id,
            "assignment": attempt.assignment,
            "student": attempt.student,
            "filename": attempt.filename,
            "sha256": attempt.sha256,
            "submitted_at": _iso(attempt.submitted),
            "status": attempt.status,
            "score": attempt.score,
            "max_score": attempt.max_score,
            "graded_at": _iso(attempt.graded),
            "regrading": attempt.regrade != 0,
        }
        if attempt.status == "error":
            body["message"] = attempt.error if who.is_instructor else _GRADER_FAILED
        if results:
            result = attempt.result()
            if result is None:
                body["results"] = None
            elif who.is_instructor:
                body["results"] = instructor_document(result)
            else:
                body["results"] = student_document(result, own, now) if own else None
        return body

    def store_upload(who: Identity, slug: str, name: str, data: bytes) -> int:
        """Write the file, then commit the attempt: stored before it is acknowledged."""
        assert who.student is not None
        digest = hashlib.sha256(data).hexdigest()
        relative = f"uploads/{secrets.token_hex(12)}{PurePath(name).suffix.lower()}"
        path = course.root / relative
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        folder = os.open(path.parent, os.O_RDONLY)
        try:  # the file's name too is on disk before the row that names it is committed
            os.fsync(folder)
        finally:
            os.close(folder)
        attempt = store.enqueue(
            assignment=slug,
            student=who.student,
            filename=name,
            upload=relative,
            sha256=digest,
            size=len(data),
            limit=(settings.rate_limit_per_hour, _HOUR),
        )
        if attempt is None:  # another request of the student's took the last place
            path.unlink()
            raise _rate_limited(who.student)
        return attempt

    def _rate_limited(student: str) -> HTTPException:
        now = time.time()
        _, oldest = store.submitted_since(student, now - _HOUR)
        wait = max(int((oldest or now) + _HOUR - now) + 1, 1)
        return _error(
            429,
            f"at most {settings.rate_limit_per_hour} submissions an hour; try again in "
            f"{wait // 60} min {wait % 60} s",
            {"Retry-After": str(wait)},
        )

    @app.get("/api/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/submissions", status_code=201)
    async def submit(request: Request, who: Annotated[Identity, Depends(caller)]) -> Any:
        if who.student is None:
            raise _error(403, "the instructor's token cannot submit: use a student's token")
        count, _ = await run_in_threadpool(store.submitted_since, who.student, time.time() - _HOUR)
        if count >= settings.rate_limit_per_hour:
            raise _rate_limited(who.student)
        cap = settings.max_upload_bytes
        too_large = _error(413, f"the upload is larger than the course's cap of {cap} bytes")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap + _FORM_OVERHEAD:
            raise too_large
        capped = Request(request.scope, _capped(request.receive, cap + _FORM_OVERHEAD))
        try:
            form = await capped.form(max_files=1, max_fields=1, max_part_size=64 * 1024)
        except _TooLarge:
            raise too_large from None
        except StarletteHTTPException as exc:  # the multipart parser's refusal
            raise _error(422, f"the upload is not a valid multipart form: {exc.detail}") from None
        try:
            field = form.get("assignment")
            slug = offered(field if isinstance(field, str) else None)
            closes = settings.assignments[slug].closes
            if closes is not None and dt.datetime.now(dt.timezone.utc) >= _utc(closes):
                raise _error(422, f"{slug} closed at {_utc(closes).isoformat()}: no more uploads")
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise _error(422, "the form needs a `file` field holding the submission")
            data = await upload.read(cap + 1)
            if len(data) > cap:
                raise too_large
            name = _display_name(upload.filename)
            problem = _file_problem(name, data)
            if problem is not None:
                raise _error(422, problem)
        finally:
            await form.close()
        attempt = await run_in_threadpool(store_upload, who, slug, name, data)
        if workers is not None:
            workers.wake()
        return {"id": attempt, "status": "queued"}

    @app.get("/api/submissions/{attempt_id}")
    def one(attempt_id: int, who: Annotated[Identity, Depends(caller)]) -> Any:
        attempt = store.attempt(attempt_id)
        if attempt is None or (not who.is_instructor and attempt.student != who.student):
            raise _error(404, f"no submission {attempt_id} of yours")
        return describe(attempt, who, results=True)

    @app.get("/api/submissions/{attempt_id}/{name}")
    def feedback_notebook(
        attempt_id: int, name: str, who: Annotated[Identity, Depends(caller)]
    ) -> Response:
        """The student's notebook with the feedback they may see, or its HTML rendering."""
        if name not in (NOTEBOOK, PAGE):
            raise _error(404, f"no such file: {name!r} (there are {NOTEBOOK} and {PAGE})")
        attempt = store.attempt(attempt_id)
        if attempt is None or (not who.is_instructor and attempt.student != who.student):
            raise _error(404, f"no submission {attempt_id} of yours")
        document = describe(attempt, who, results=True).get("results")
        if attempt.status not in ("graded", "ungradable") or not document:
            raise _error(404, f"submission {attempt_id} has no feedback yet ({attempt.status})")
        # Made from what this caller may see (hidden checks' messages left out), never from
        # the full result the grader process had.
        visible = result_from_document(document)
        files = dict(feedback_files(course.root / attempt.upload, visible))
        if name == NOTEBOOK:
            return Response(
                files[NOTEBOOK],
                media_type="application/x-ipynb+json",
                headers={"Content-Disposition": f'attachment; filename="{NOTEBOOK}"'},
            )
        # Sanitised already; this policy also keeps any script from running and gives the page
        # an origin of its own (sandbox), so it can reach neither the service nor its cookies.
        policy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"
        return Response(
            files[PAGE],
            media_type="text/html",
            headers={"Content-Security-Policy": policy, "X-Content-Type-Options": "nosniff"},
        )

    @app.get("/api/submissions")
    def mine(who: Annotated[Identity, Depends(caller)], assignment: str | None = None) -> Any:
        student = None if who.is_instructor else who.student
        attempts = store.attempts(student=student, assignment=assignment)
        return [describe(a, who, results=False) for a in attempts]

    @app.get("/api/grades.csv")
    def grades(
        who: Annotated[Identity, Depends(instructor)], assignment: str | None = None
    ) -> Response:
        spec = load_assignment(offered(assignment))
        with tempfile.TemporaryDirectory() as folder, Gradebook(course.database) as book:
            path = Path(folder) / "grades.csv"
            book.export_csv(spec.slug, [q.id for q in spec.questions], path, students=roster)
            text = path.read_text(encoding="utf-8")
        return Response(text, media_type="text/csv; charset=utf-8")

    @app.get("/api/canvas.csv")
    def canvas(
        who: Annotated[Identity, Depends(instructor)], assignment: str | None = None
    ) -> Response:
        spec = load_assignment(offered(assignment))
        with Gradebook(course.database) as book:
            scores = dict(
                book.rows(
                    "SELECT student, score FROM submissions WHERE assignment = ?", (spec.slug,)
                )
            )
        text = canvas_csv(
            store.roster(),
            scores,
            title=spec.title,
            max_score=spec.max_score,
            canvas_id=settings.assignments[spec.slug].canvas_assignment_id,
        )
        return Response(text, media_type="text/csv; charset=utf-8")

    @app.get("/api/summary")
    def summary(
        who: Annotated[Identity, Depends(instructor)], assignment: str | None = None
    ) -> Response:
        spec = load_assignment(offered(assignment))
        with Gradebook(course.database) as book:
            rows = book.submission_rows(spec.slug), book.check_rows(spec.slug)
            cohort = summaries.summarise(*rows, spec, students=roster)
        return Response(summaries.to_json(cohort), media_type="application/json")

    @app.post("/api/regrade", status_code=202)
    def regrade(
        who: Annotated[Identity, Depends(instructor)], assignment: str | None = None
    ) -> Any:
        slug = offered(assignment)
        if workers is not None:
            workers.renew()  # grader processes load the spec again
        count = store.mark_regrade(slug)
        if workers is not None:
            workers.wake()
        return {"assignment": slug, "regrading": count}

    from graders.service.pages import add_pages  # here: pages.py reuses this module's checks

    add_pages(app, course, workers)
    return app
