"""Security headers on every response of the service (pages, API and static files).

One reason to change: what the browser is told to refuse. The Content-Security-Policy allows
scripts, styles and fonts from the service itself only (no ``'unsafe-inline'``: the pages have
no inline script or style), images also as ``data:`` URLs; no framing, no plugins, forms only
to the service. ``nosniff`` stops a browser from reading an upload's bytes as another type;
``no-referrer`` keeps a sign-in link's token out of any Referer header. Pages are not cached,
so a shared computer's back button shows no one else's feedback after sign-out.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CSP", "SecurityHeaders"]

#: The Content-Security-Policy of every response.
CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)

_HEADERS = (
    (b"content-security-policy", CSP.encode("ascii")),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


class SecurityHeaders:
    """ASGI middleware adding the headers above (and ``no-store`` unless a response says)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in _HEADERS if n not in names]
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
