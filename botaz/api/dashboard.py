"""The dashboard's pages: HTML shells from web/dashboard; signed-out visitors go to /login.

Its files are ES modules importing each other by relative URL, with no build step. Pages refer to
them under /dashboard/assets/v/<version>/, where <version> hashes the whole set of files: every
file there is immutable (cached a year), relative imports keep working, and any change to any
file moves every URL at once (docs/design.md, "Static files"). Each page also gets
<link rel="modulepreload"> for exactly the modules its first screen imports, worked out from the
modules' own import lines.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..chat.errors import DomainError, NotFound, Unavailable
from ..chat.sessions import authenticate_session
from .deps import SESSION_COOKIE, chat_of
from .static import IMMUTABLE, REVALIDATE, bytes_asset, respond, send_file

DASHBOARD = Path(__file__).resolve().parent.parent / "web" / "dashboard"
TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".svg": "image/svg+xml",
         ".wav": "audio/wav", ".ogg": "audio/ogg", ".mp3": "audio/mpeg", ".png": "image/png",
         ".ico": "image/x-icon", ".json": "application/json",
         ".webmanifest": "application/manifest+json"}


ASSETS = "/dashboard/assets/"
STATIC_IMPORT = re.compile(r'^import\s(?:[^;"]*?\sfrom\s)?"\./([\w.-]+\.js)"', re.M)
ENTRY = re.compile(r'<script type="module" src="/dashboard/assets/([\w.-]+\.js)"></script>')
RECHECK_S = 2.0  # how stale the version may be after a file changes on disk (development)

# The page module app.js mounts first for each route (app.js's parseRoute, on the server).
ROUTE_MODULES = (("/chat/", "inbox.js"), ("/agents", "agents.js"), ("/visitors", "visitors.js"),
                 ("/settings", "settings.js"), ("/reports", "reports.js"),
                 ("/articles", "articles.js"))


@dataclass
class AssetSet:
    version: str
    stamps: dict[str, tuple[int, int]]  # file name -> (mtime_ns, size)
    imports: dict[str, list[str]]  # module -> the modules it imports statically
    checked: float = field(default_factory=time.monotonic)

    def closure(self, roots: list[str]) -> list[str]:
        """The roots and every module they import, transitively; dependencies first."""
        out: list[str] = []
        seen: set[str] = set()

        def visit(name: str) -> None:
            if name in seen:
                return
            seen.add(name)
            for dep in self.imports.get(name, ()):
                visit(dep)
            out.append(name)

        for root in roots:
            visit(root)
        return out


_set: AssetSet | None = None


def _stamps() -> dict[str, tuple[int, int]]:
    out = {}
    for path in DASHBOARD.iterdir():
        if path.is_file():
            st = path.stat()
            out[path.name] = (st.st_mtime_ns, st.st_size)
    return out


def asset_set() -> AssetSet:
    """The dashboard's files as one versioned set, rechecked on disk every RECHECK_S at most."""
    global _set
    now = time.monotonic()
    if _set is not None and now - _set.checked < RECHECK_S:
        return _set
    stamps = _stamps()
    if _set is not None and stamps == _set.stamps:
        _set.checked = now
        return _set
    digest = hashlib.sha256()
    imports: dict[str, list[str]] = {}
    for name in sorted(stamps):
        data = (DASHBOARD / name).read_bytes()
        digest.update(name.encode() + b"\0" + data + b"\0")
        if name.endswith(".js"):
            imports[name] = STATIC_IMPORT.findall(data.decode("utf-8", "replace"))
    _set = AssetSet(digest.hexdigest()[:12], stamps, imports, now)
    return _set


def route_module(path: str) -> str | None:
    if path in ("/", ""):
        return "inbox.js"
    return next((module for prefix, module in ROUTE_MODULES if path.startswith(prefix)), None)


async def _page(request: Request, name: str, page_module: str | None = None) -> Response:
    """A page with its asset URLs versioned and modulepreload links for what it needs first."""
    assets = asset_set()
    prefix = f"{ASSETS}v/{assets.version}/"
    html = (DASHBOARD / name).read_text()
    entry = ENTRY.search(html)
    if entry:
        roots = [entry.group(1)] + ([page_module] if page_module else [])
        preload = [m for m in assets.closure(roots) if m != entry.group(1)]
        links = "".join(f'<link rel="modulepreload" href="{ASSETS}{m}">\n  ' for m in preload)
        html = html[:entry.start()] + links + html[entry.start():]
    html = html.replace(f'"{ASSETS}', f'"{prefix}')
    asset = await bytes_asset(f"page {name} {page_module} {assets.version}", html.encode(),
                              "text/html")
    return respond(request, asset, REVALIDATE)


async def login_page(request: Request) -> Response:
    return await _page(request, "login.html")


async def reset_page(request: Request) -> Response:
    return await _page(request, "reset.html")


async def app_page(request: Request) -> Response:
    try:
        await authenticate_session(chat_of(request), request.cookies.get(SESSION_COOKIE))
    except Unavailable:
        raise  # the database is down: 503, not the sign-in page
    except DomainError:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
    return await _page(request, "app.html", route_module(request.url.path))


VERSIONED = re.compile(r"v/([0-9a-f]{12})/(.+)")


async def asset(request: Request) -> Response:
    """/dashboard/assets/<file> (revalidated) and /dashboard/assets/v/<version>/<file> (immutable
    while <version> is the current one; an older version gets today's file, revalidated)."""
    rel = request.path_params["path"]
    cache = REVALIDATE
    versioned = VERSIONED.fullmatch(rel)
    if versioned:
        rel = versioned.group(2)
    path = (DASHBOARD / rel).resolve()
    if DASHBOARD.resolve() not in path.parents or not path.is_file():
        raise NotFound("Not found.")
    if versioned:
        assets = asset_set()
        st = path.stat()
        if (versioned.group(1) == assets.version
                and assets.stamps.get(path.name) == (st.st_mtime_ns, st.st_size)):
            cache = IMMUTABLE
    return await send_file(request, path, TYPES.get(path.suffix, "application/octet-stream"), cache)


async def service_worker(request: Request) -> Response:
    """Served from the root so that its scope is the whole dashboard (/, /chat/..., /settings)."""
    return await send_file(request, DASHBOARD / "sw.js", "text/javascript", REVALIDATE,
                           {"Service-Worker-Allowed": "/"})


async def manifest(request: Request) -> Response:
    return await send_file(request, DASHBOARD / "manifest.webmanifest",
                           "application/manifest+json", REVALIDATE)
