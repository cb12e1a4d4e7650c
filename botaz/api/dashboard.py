"""The dashboard's pages: HTML shells from web/dashboard; signed-out visitors go to /login."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from ..chat.errors import DomainError, NotFound, Unavailable
from ..chat.sessions import authenticate_session
from .deps import SESSION_COOKIE, chat_of
from .registry import page

DASHBOARD = Path(__file__).resolve().parent.parent / "web" / "dashboard"
TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".svg": "image/svg+xml",
         ".wav": "audio/wav", ".ogg": "audio/ogg", ".mp3": "audio/mpeg", ".png": "image/png",
         ".ico": "image/x-icon", ".json": "application/json",
         ".webmanifest": "application/manifest+json"}


def _page(name: str) -> Response:
    return FileResponse(DASHBOARD / name, media_type="text/html",
                        headers={"Cache-Control": "no-cache"})


@page("/login")
async def login_page(request: Request) -> Response:
    return _page("login.html")


@page("/reset-password")
async def reset_page(request: Request) -> Response:
    return _page("reset.html")


@page("/", "/chat/{visitorId}", "/agents", "/visitors", "/settings", "/reports", "/articles")
async def app_page(request: Request) -> Response:
    try:
        await authenticate_session(chat_of(request), request.cookies.get(SESSION_COOKIE))
    except Unavailable:
        raise  # the database is down: 503, not the sign-in page
    except DomainError:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
    return _page("app.html")


@page("/dashboard/assets/{path:path}")
async def asset(request: Request) -> Response:
    path = (DASHBOARD / request.path_params["path"]).resolve()
    if DASHBOARD.resolve() not in path.parents or not path.is_file():
        raise NotFound("Not found.")
    return FileResponse(path, media_type=TYPES.get(path.suffix, "application/octet-stream"),
                        headers={"Cache-Control": "no-cache"})


@page("/sw.js")
async def service_worker(request: Request) -> Response:
    """Served from the root so that its scope is the whole dashboard (/, /chat/..., /settings)."""
    return FileResponse(DASHBOARD / "sw.js", media_type="text/javascript",
                        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"})


@page("/manifest.webmanifest")
async def manifest(request: Request) -> Response:
    return FileResponse(DASHBOARD / "manifest.webmanifest", media_type="application/manifest+json",
                        headers={"Cache-Control": "no-cache"})
