"""The web pages: students sign in, upload and read feedback; the instructor sees the class.

One reason to change: the pages' routes and what each one does (what they show is
:mod:`graders.service.page_data`, how they look is ``templates/``, which include the reports'
shared partials ``report/_feedback.html`` and ``report/_summary.html``: the batch files' design).
Server-rendered (Jinja2, autoescape on), readable without JavaScript: a page waiting for a grade
refreshes itself (a ``<noscript>`` refresh, or ``static/attempt.js`` polling
``/attempts/ID/status``).

Signing in takes the course token once (a form, or a ``?token=`` link that redirects to strip it;
followed from another site, the link asks first whom to sign in as) and sets a session cookie
(``Secure``, ``HttpOnly``, ``SameSite=Strict``) holding a random session id, never the token.
Every POST form carries the session's CSRF token (the sign-in form, made before there is a
session, a double-submit cookie's), checked here. A student asking for an attempt that is not
theirs gets 404, whether or not it exists; instructor pages refuse a student with 403; a URL
that matches no page gets an HTML 404 (:func:`add_pages` returns it for the app's handler).
The class page's "Publish hidden results" button releases the ``after_published`` checks at once
(:func:`graders.service.view.in_effect`).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import jinja2
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from graders import summary as summaries
from graders.gradebook import Gradebook
from graders.report.html.page import CSS
from graders.report.html.templating import new_environment
from graders.report.html.views import feedback
from graders.service.auth import Authenticator, Identity
from graders.service.course import Course
from graders.service.exports import canvas_text, grades_text
from graders.service.headers import SecurityHeaders
from graders.service.intake import Refused, rate_limited, read_upload, store_upload
from graders.service.page_data import SORTS, counting_id, gradebook_rows, moment
from graders.service.queue import Workers, regrade_all
from graders.service.session import COOKIE, Session, Sessions, same_token
from graders.service.store import TERMINAL, Attempt
from graders.service.view import (
    as_student_sees,
    in_effect,
    instructor_document,
    student_document,
)
from graders.spec import Assignment, load_assignment

__all__ = ["NotFound", "add_pages"]

_HERE = Path(__file__).parent
_SIGNIN_COOKIE = "grader_signin"  # the sign-in form's double-submit CSRF value
_MAX_FORM_BYTES = 16 * 1024  # a sign-in or button form: a token and a CSRF value
_REFRESH_SECONDS = 2
_RECENT = 50  # attempts listed on the class page, newest first


def _templates() -> jinja2.Environment:
    """The pages' templates, and the reports' shared ones as ``report/NAME`` (one design)."""
    env = new_environment(jinja2.FileSystemLoader(_HERE / "templates"))
    env.filters["moment"] = moment
    return env


def _student_href(slug: str) -> Callable[[str], str]:
    """The class summary's links: a student's history of ``slug``."""
    return lambda student: f"/class/{slug}/student?id={quote(student, safe='')}"


#: What answers a URL outside ``/api/`` that no route matches: an HTML page.
NotFound = Callable[[Request], Response]


def add_pages(app: FastAPI, course: Course, workers: Workers | None = None) -> NotFound:
    """Add the web pages, their static files and the security headers to ``app``.

    Returns the pages' "not found" answer, for the app's handler of unmatched URLs (the API's
    own stay JSON).
    """
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")
    router, not_found = pages_router(course, workers)
    app.include_router(router)
    return not_found


def pages_router(course: Course, workers: Workers | None = None) -> tuple[APIRouter, NotFound]:
    """The pages of ``course`` (see the module's docstring), and their "not found" page."""
    store = course.store
    settings = course.settings
    auth = Authenticator(store.identities())
    sessions = Sessions()
    env = _templates()
    router = APIRouter(include_in_schema=False)

    def render(
        request: Request,
        template: str,
        session: Session | None,
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        text = env.get_template(template).render(
            session=session, assignments=list(settings.assignments), **context
        )
        return HTMLResponse(text, status_code=status)

    def problem(
        request: Request, session: Session | None, status: int, title: str, message: str
    ) -> HTMLResponse:
        return render(request, "problem.html", session, status, title=title, message=message)

    def current(request: Request) -> Session | None:
        return sessions.get(request.cookies.get(COOKIE))

    def not_found(request: Request) -> Response:
        return problem(
            request,
            current(request),
            404,
            "Page not found",
            f"There is no page at {request.url.path}: the link may be mistyped, or out of date.",
        )

    def signed_in(session: Session) -> RedirectResponse:
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            COOKIE,
            session.id,
            max_age=int(sessions.lifetime),
            path="/",
            secure=True,
            httponly=True,
            samesite="strict",
        )
        response.delete_cookie(_SIGNIN_COOKIE, path="/")
        return response

    def to_signin() -> RedirectResponse:
        return RedirectResponse("/signin", status_code=303)

    async def small_form(request: Request) -> dict[str, str] | None:
        """A form of short text fields (sign-in, buttons); None if it is not one."""
        declared = request.headers.get("content-length", "")
        if not declared.isdigit() or int(declared) > _MAX_FORM_BYTES:
            return None
        try:
            form = await request.form(max_files=0, max_fields=4, max_part_size=_MAX_FORM_BYTES)
        except Exception:  # the form parser's refusal, whatever its kind
            return None
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        await form.close()
        return fields

    def offered(slug: str) -> Assignment | None:
        return load_assignment(slug) if slug in settings.assignments else None

    def document(attempt: Attempt, who: Identity) -> dict[str, Any] | None:
        result = attempt.result()
        if result is None:
            return None
        if who.is_instructor:
            return instructor_document(result)
        own = in_effect(course, attempt.assignment)
        if own is None:  # an assignment no longer offered: nothing of it is shown
            return None
        return student_document(result, own, dt.datetime.now(dt.timezone.utc))

    stylesheet = CSS + (_HERE / "static" / "pages.css").read_text(encoding="utf-8")

    @router.get("/style.css")
    def style() -> Response:  # the reports' stylesheet and the pages' additions: one design
        return Response(stylesheet, media_type="text/css; charset=utf-8")

    # ------------------------------------------------------------------ signing in

    def signin_page(
        request: Request,
        status: int = 200,
        message: str = "",
        link: tuple[str, Identity] | None = None,
    ) -> HTMLResponse:
        value = secrets.token_urlsafe(24)
        response = render(
            request,
            "signin.html",
            None,
            status,
            signin_csrf=value,
            message=message,
            link_token=link[0] if link else None,
            link_for=link[1] if link else None,
        )
        response.set_cookie(
            _SIGNIN_COOKIE, value, path="/", secure=True, httponly=True, samesite="strict"
        )
        return response

    @router.get("/signin")
    def signin_form(request: Request, token: str | None = None) -> Response:
        if token is not None:  # a sign-in link: used once, then the URL loses the token
            who = auth.identify(f"Bearer {token}")
            if who is None:
                return signin_page(request, 401, "That link's token is not valid.")
            if request.headers.get("sec-fetch-site") == "cross-site":
                # Followed from another site: that site may be signing the browser in as
                # someone else (login CSRF), so the reader confirms whom they sign in as.
                return signin_page(request, link=(token, who))
            return signed_in(sessions.start(who))
        return signin_page(request)

    @router.post("/signin")
    async def signin(request: Request) -> Response:
        fields = await small_form(request)
        if fields is None or not same_token(
            request.cookies.get(_SIGNIN_COOKIE, ""), fields.get("csrf")
        ):
            return signin_page(request, 403, "The form expired; please sign in again.")
        who = auth.identify(f"Bearer {fields.get('token', '')}")
        if who is None:
            return signin_page(request, 401, "That token is not valid for this course.")
        return signed_in(sessions.start(who))

    @router.post("/signout")
    async def signout(request: Request) -> Response:
        session = current(request)
        fields = await small_form(request)
        if session is None or fields is None or not same_token(session.csrf, fields.get("csrf")):
            return to_signin()
        sessions.end(session.id)
        response = to_signin()
        response.delete_cookie(COOKIE, path="/")
        return response

    # ------------------------------------------------------------------ students

    @router.get("/")
    def home(request: Request) -> Response:
        session = current(request)
        if session is None:
            return to_signin()
        specs = [load_assignment(slug) for slug in settings.assignments]
        return render(request, "home.html", session, specs=specs, settings=settings)

    def assignment_page(
        request: Request, session: Session, spec: Assignment, status: int = 200, message: str = ""
    ) -> HTMLResponse:
        student = session.identity.student
        own = in_effect(course, spec.slug)
        assert own is not None  # spec is offered
        attempts = store.attempts(student=student, assignment=spec.slug) if student else []
        counting = counting_id(attempts, own.policy)
        now = dt.datetime.now(dt.timezone.utc)
        return render(
            request,
            "assignment.html",
            session,
            status,
            spec=spec,
            own=own,
            attempts=[as_student_sees(a, own, now) for a in attempts],  # the scores they may see
            counting=counting,
            message=message,
            accept=".py,.ipynb",
        )

    @router.get("/assignments/{slug}")
    def assignment(request: Request, slug: str) -> Response:
        session = current(request)
        if session is None:
            return to_signin()
        spec = offered(slug)
        if spec is None:
            return problem(request, session, 404, "No such assignment", f"{slug!r} is not offered.")
        return assignment_page(request, session, spec)

    @router.post("/assignments/{slug}/upload")
    async def upload(request: Request, slug: str) -> Response:
        session = current(request)
        if session is None:
            return to_signin()
        spec = offered(slug)
        if spec is None:
            return problem(request, session, 404, "No such assignment", f"{slug!r} is not offered.")
        student = session.identity.student
        if student is None:
            return assignment_page(
                request, session, spec, 403, "The instructor cannot submit: sign in as a student."
            )
        try:
            refused = await run_in_threadpool(rate_limited, course, student)
            if refused is not None:
                raise refused
            form = await read_upload(request, course, slug)
            if not same_token(session.csrf, form.csrf):
                return problem(
                    request, session, 403, "Form expired", "Reload the page and upload again."
                )
            attempt = await run_in_threadpool(store_upload, course, student, slug, form)
        except Refused as exc:
            return assignment_page(request, session, spec, exc.status, exc.message)
        if workers is not None:
            workers.wake()
        return RedirectResponse(f"/attempts/{attempt}", status_code=303)

    def visible_attempt(session: Session, attempt_id: int) -> Attempt | None:
        attempt = store.attempt(attempt_id)
        who = session.identity
        if attempt is None or (not who.is_instructor and attempt.student != who.student):
            return None
        return attempt

    @router.get("/attempts/{attempt_id}")
    def attempt_page(request: Request, attempt_id: int) -> Response:
        session = current(request)
        if session is None:
            return to_signin()
        attempt = visible_attempt(session, attempt_id)
        if attempt is None:
            return problem(
                request, session, 404, "No such attempt", f"No attempt {attempt_id} of yours."
            )
        spec = offered(attempt.assignment)
        shown = document(attempt, session.identity)
        result = attempt.result()
        view = (
            feedback(shown, spec, result.plots if result is not None else ())
            if shown is not None
            else None
        )
        waiting = attempt.status not in TERMINAL or attempt.regrade != 0
        return render(
            request,
            "attempt.html",
            session,
            attempt=attempt,
            spec=spec,
            feedback=view,
            waiting=waiting,
            refresh=_REFRESH_SECONDS,
            error=(attempt.error if session.identity.is_instructor else None),
        )

    @router.get("/attempts/{attempt_id}/status")
    def attempt_status(request: Request, attempt_id: int) -> Response:
        session = current(request)
        attempt = visible_attempt(session, attempt_id) if session is not None else None
        if attempt is None:
            return JSONResponse({"status": 404, "message": "no such attempt"}, status_code=404)
        return JSONResponse(
            {"id": attempt.id, "status": attempt.status, "regrading": attempt.regrade != 0}
        )

    # ------------------------------------------------------------------ the instructor

    def instructor_spec(request: Request, slug: str) -> tuple[Session, Assignment] | Response:
        session = current(request)
        if session is None:
            return to_signin()
        if not session.identity.is_instructor:
            return problem(
                request, session, 403, "Instructor only", "This page is the instructor's."
            )
        spec = offered(slug)
        if spec is None:
            return problem(request, session, 404, "No such assignment", f"{slug!r} is not offered.")
        return session, spec

    @router.get("/class/{slug}")
    def class_page(
        request: Request, slug: str, regrading: int | None = None, published: str | None = None
    ) -> Response:
        found = instructor_spec(request, slug)
        if isinstance(found, Response):
            return found
        session, spec = found
        roster = store.students()
        with Gradebook(course.database) as book:
            cohort = summaries.summarise(
                book.submission_rows(spec.slug), book.check_rows(spec.slug), spec, students=roster
            )
        everything = store.attempts(assignment=spec.slug)
        errors = [a for a in everything if a.status == "error"]
        return render(
            request,
            "class.html",
            session,
            spec=spec,
            own=settings.assignments[spec.slug],
            cohort=cohort,
            student_href=_student_href(spec.slug),
            errors=errors,
            recent=everything[:_RECENT],
            more=max(len(everything) - _RECENT, 0),
            regrading=regrading,
            by_instructor=store.published(spec.slug),
            publishing=published if published in ("yes", "no") else None,
        )

    @router.get("/class/{slug}/gradebook")
    def gradebook_page(
        request: Request, slug: str, sort: str = "student", order: str = "asc"
    ) -> Response:
        found = instructor_spec(request, slug)
        if isinstance(found, Response):
            return found
        session, spec = found
        direction: Literal["asc", "desc"] = "desc" if order == "desc" else "asc"
        rows = gradebook_rows(
            store.roster(),
            store.attempts(assignment=spec.slug),
            settings.assignments[spec.slug].policy,
            sort if sort in SORTS else "student",
            direction,
        )
        return render(
            request,
            "gradebook.html",
            session,
            spec=spec,
            rows=rows,
            sort=sort if sort in SORTS else "student",
            order=direction,
            sorts=SORTS,
        )

    @router.get("/class/{slug}/student")
    def student_page(request: Request, slug: str, id: str = "") -> Response:
        found = instructor_spec(request, slug)
        if isinstance(found, Response):
            return found
        session, spec = found
        roster = dict(store.roster())
        if id not in roster:
            return problem(request, session, 404, "No such student", f"{id!r} is not enrolled.")
        attempts = store.attempts(student=id, assignment=spec.slug)
        return render(
            request,
            "student.html",
            session,
            spec=spec,
            student=id,
            extra=roster[id],
            attempts=attempts,
            counting=counting_id(attempts, settings.assignments[spec.slug].policy),
        )

    def csv_download(text: str, name: str) -> Response:
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @router.get("/class/{slug}/grades.csv")
    def grades(request: Request, slug: str) -> Response:
        found = instructor_spec(request, slug)
        if isinstance(found, Response):
            return found
        _, spec = found
        return csv_download(grades_text(course, spec), f"{spec.slug}-grades.csv")

    @router.get("/class/{slug}/canvas.csv")
    def canvas(request: Request, slug: str) -> Response:
        found = instructor_spec(request, slug)
        if isinstance(found, Response):
            return found
        _, spec = found
        return csv_download(canvas_text(course, spec), f"{spec.slug}-canvas.csv")

    async def instructor_form(
        request: Request, slug: str
    ) -> tuple[Session, Assignment, dict[str, str]] | Response:
        """The instructor's session, the assignment and a class-page button's form, checked
        (its CSRF token included); else the page that says why not."""
        found = instructor_spec(request, slug)
        if isinstance(found, Response):
            return found
        session, spec = found
        fields = await small_form(request)
        if fields is None or not same_token(session.csrf, fields.get("csrf")):
            return problem(request, session, 403, "Form expired", "Reload the page and try again.")
        return session, spec, fields

    @router.post("/class/{slug}/regrade")
    async def regrade(request: Request, slug: str) -> Response:
        posted = await instructor_form(request, slug)
        if isinstance(posted, Response):
            return posted
        _, spec, _ = posted
        count = await run_in_threadpool(regrade_all, course, workers, spec.slug)
        return RedirectResponse(f"/class/{spec.slug}?regrading={count}", status_code=303)

    @router.post("/class/{slug}/publish")
    async def publish(request: Request, slug: str) -> Response:
        """The class page's "Publish hidden results" / "Withdraw" button."""
        posted = await instructor_form(request, slug)
        if isinstance(posted, Response):
            return posted
        session, spec, fields = posted
        wanted = fields.get("published")
        if wanted not in ("yes", "no"):
            return problem(request, session, 422, "Unknown choice", "Publish, or withdraw.")
        await run_in_threadpool(store.set_published, spec.slug, wanted == "yes")
        return RedirectResponse(f"/class/{spec.slug}?published={wanted}", status_code=303)

    return router, not_found
