"""The HTTP API of a served course (FastAPI): submit, poll, list; the instructor's exports.

One reason to change: the API's contract (routes, status codes, JSON shapes). Every error is JSON
``{"status": CODE, "message": "..."}``: 401 without a valid token, 403 for a student on an
instructor's route, 404 for an attempt that is not the caller's (whether or not it exists), 413
over the size cap, 422 for a bad assignment, file or body, 429 over the rate limit. (A URL
outside ``/api/`` that matches no page gets the pages' HTML 404 instead.) The
instructor's routes export (CSV, the summary), regrade, and publish an assignment's hidden
results (``POST /api/assignments/{slug}/publish`` with ``{"published": true | false}``).

An upload is read through a byte cap (a larger body is refused before it is all received),
checked (a ``.py`` module in UTF-8, or an ``.ipynb`` that parses as a JSON object), written to
``uploads/`` and committed as ``queued`` before the 201 is sent. Nothing of it is run here: the
grading workers (:mod:`graders.service.queue`) grade it in the sandbox.
"""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at definition
# time, and the dependencies they name (`caller`, `instructor`) are local to create_app.
import datetime as dt
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from graders import summary as summaries
from graders.gradebook import Gradebook
from graders.report.notebook import NOTEBOOK, PAGE, feedback_files
from graders.service.auth import Authenticator, Identity
from graders.service.client import result_from_document
from graders.service.course import Course
from graders.service.exports import canvas_text, grades_text
from graders.service.intake import (
    SUFFIXES,
    BadForm,
    Refused,
    TooLarge,
    Upload,
    closed,
    display_name,
    file_problem,
    open_form,
    rate_limited,
    read_body,
    read_file,
    store_upload,
)
from graders.service.pages import add_pages
from graders.service.queue import Workers, regrade_all
from graders.service.store import Attempt
from graders.service.view import (
    as_student_sees,
    in_effect,
    instructor_document,
    student_document,
)
from graders.spec import load_assignment

__all__ = ["SUFFIXES", "create_app"]

_MAX_JSON_BYTES = 1024  # a JSON body of the instructor's routes: {"published": true}
_GRADER_FAILED = (
    "The grader itself failed on this submission (not your code). Your instructor can see the "
    "error and regrade it."
)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> HTTPException:
    return HTTPException(status_code=status, detail=message, headers=headers)


def _refusal(refused: Refused) -> HTTPException:
    """An upload's refusal as the API answers it (a 429 says when to try again)."""
    wait = refused.retry_after
    return _error(
        refused.status, refused.message, None if wait is None else {"Retry-After": str(wait)}
    )


def _api(path: str) -> bool:
    """Whether ``path`` is the API's (JSON errors) rather than the pages' (HTML)."""
    return path == "/api" or path.startswith("/api/")


def _iso(moment: float | None) -> str | None:
    if moment is None:
        return None
    return dt.datetime.fromtimestamp(moment, dt.timezone.utc).isoformat(timespec="seconds")


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
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and not _api(request.url.path):
            return not_found(request)  # a page URL that matches nothing: an HTML page
        return JSONResponse(
            {"status": exc.status_code, "message": str(exc.detail)},
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        if not _api(request.url.path):  # /attempts/abc: no such page
            return not_found(request)
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
        own = in_effect(course, attempt.assignment)
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

    @app.get("/api/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/submissions", status_code=201)
    async def submit(request: Request, who: Annotated[Identity, Depends(caller)]) -> Any:
        if who.student is None:
            raise _error(403, "the instructor's token cannot submit: use a student's token")
        refused = await run_in_threadpool(rate_limited, course, who.student)
        if refused is not None:
            raise _refusal(refused)
        cap = settings.max_upload_bytes
        too_large = _error(413, f"the upload is larger than the course's cap of {cap} bytes")
        try:
            form = await open_form(request, cap, max_fields=1)
        except TooLarge:
            raise too_large from None
        except BadForm as exc:
            raise _error(422, f"the upload is not a valid multipart form: {exc}") from None
        try:
            field = form.get("assignment")
            slug = offered(field if isinstance(field, str) else None)
            refused = closed(course, slug)
            if refused is not None:
                raise _refusal(refused)
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise _error(422, "the form needs a `file` field holding the submission")
            try:
                data = await read_file(upload, cap)
            except TooLarge:
                raise too_large from None
            name = display_name(upload.filename)
            problem = file_problem(name, data)
            if problem is not None:
                raise _error(422, problem)
        finally:
            await form.close()
        try:
            attempt = await run_in_threadpool(
                store_upload, course, who.student, slug, Upload(None, name, data)
            )
        except Refused as exc:
            raise _refusal(exc) from None
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
        text = grades_text(course, load_assignment(offered(assignment)))
        return Response(text, media_type="text/csv; charset=utf-8")

    @app.get("/api/canvas.csv")
    def canvas(
        who: Annotated[Identity, Depends(instructor)], assignment: str | None = None
    ) -> Response:
        text = canvas_text(course, load_assignment(offered(assignment)))
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
        return {"assignment": slug, "regrading": regrade_all(course, workers, slug)}

    async def json_body(request: Request) -> object:
        """The request's JSON body, read through a small cap (413 above it, 422 if not JSON)."""
        try:
            body = await read_body(request, _MAX_JSON_BYTES)
        except TooLarge:
            raise _error(413, f"the body is larger than {_MAX_JSON_BYTES} bytes") from None
        try:
            return json.loads(body)
        except ValueError:  # also a body that is not UTF-8
            raise _error(422, 'the body must be JSON, e.g. {"published": true}') from None

    @app.post("/api/assignments/{slug}/publish")
    async def publish(
        slug: str, request: Request, who: Annotated[Identity, Depends(instructor)]
    ) -> Any:
        """Publish (``{"published": true}``) or withdraw an assignment's hidden results."""
        offered(slug)
        body = await json_body(request)
        if (
            type(body) is not dict
            or set(body) != {"published"}
            or type(body["published"]) is not bool
        ):
            raise _error(422, 'the body must be {"published": true} or {"published": false}')
        await run_in_threadpool(store.set_published, slug, body["published"])
        now = in_effect(course, slug)
        return {
            "assignment": slug,
            "published": now is not None and now.published,
            "by_instructor": body["published"],
            "by_course_toml": settings.assignments[slug].published,
        }

    not_found = add_pages(app, course, workers)
    return app
