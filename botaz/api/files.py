"""Attachments, served only to their conversation's parties; widget.js and the demo page."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from ..chat import attachments
from ..chat.accounts import API_TOKEN_PREFIX
from ..chat.errors import NotFound
from .deps import agent, chat_of, visitor
from .http import bearer_token
from .registry import Param, endpoint
from .static import bytes_asset, respond, send_file

WEB = Path(__file__).resolve().parent.parent / "web"


@endpoint("GET", "/attachments/{id}", summary="Download an attachment", tag="widget",
          auth="either", params=(Param("id", "Attachment ID", {"type": "string"}, where="path",
                                        required=True),),
          errors=(401, 403, 404),
          description="For the visitor of the conversation (visitor token) or an agent of its "
                      "account (API token or dashboard session).")
async def download(request: Request) -> Response:
    chat = chat_of(request)
    token = bearer_token(request)
    attachment_id = request.path_params["id"]
    if token and not token.startswith(API_TOKEN_PREFIX):
        row = await visitor(request)
        found = await attachments.attachment_for(chat, attachment_id, visitor_id=row["id"])
        return _file(found)
    principal = await agent(request)  # an API token, or the dashboard's session cookie
    return _file(await attachments.attachment_for(chat, attachment_id, account_id=principal.account_id))


def _file(row) -> Response:
    path = Path(row["path"])
    if not path.exists():
        raise NotFound("File not found.")
    inline = row["type"].startswith("image/")
    return FileResponse(path, media_type=row["type"], filename=row["name"],
                        content_disposition_type="inline" if inline else "attachment",
                        headers={"Cache-Control": "private, max-age=3600"})


# widget.js's URL is fixed by the embed tag, so it cannot carry a content hash: browsers keep it
# five minutes, then revalidate it (If-None-Match: a 304 of a few hundred bytes).
WIDGET_CACHE = "public, max-age=300"


async def widget_js(request: Request) -> Response:
    return await send_file(request, WEB / "widget.js", "text/javascript", WIDGET_CACHE)


async def widget_module(request: Request) -> Response:
    name = request.path_params["name"]
    path = (WEB / "widget" / name).resolve()
    if not path.is_file() or (WEB / "widget").resolve() not in path.parents:
        raise NotFound("Not found.")
    media = "text/javascript" if name.endswith(".js") else "text/css"
    return await send_file(request, path, media, WIDGET_CACHE)


async def demo_page(request: Request) -> Response:
    chat = chat_of(request)
    site_key = request.query_params.get("siteKey")
    if site_key is None:
        account = await chat.store.first_account()
        if account is None:
            raise NotFound("There is no account yet; run botaz create-account.")
        site_key = account["site_key"]
    elif await chat.store.get_account_by_site_key(site_key) is None:
        raise NotFound("There is no site with this siteKey.")
    base = str(request.base_url).rstrip("/")
    html = (WEB / "demo.html").read_text()
    html = html.replace("{{SITE_KEY}}", site_key).replace("{{BASE_URL}}", base)
    asset = await bytes_asset(f"demo {site_key} {base}", html.encode(), "text/html")
    return respond(request, asset, "no-cache")
