"""/api/articles: the knowledge base; /widget/v1/articles: the widget's "Search help"."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..chat import articles
from ..chat.errors import Invalid, NotFound
from ..chat.schemas import page_of
from ..schema import F, Obj
from .deps import agent, chat_of, limit
from .http import json_response, read_body
from .registry import CURSOR, LIMIT, Param, endpoint, schema

ID = Param("id", "Article ID", {"type": "string"}, where="path", required=True)
LOCALE = Param("locale", "Only articles in this language: az, en or ru",
               {"type": "string", "enum": list(articles.LOCALES)})

ARTICLE = schema(Obj("Article", {
    "_id": F("string", "Article ID"), "title": F("string", "Title"),
    "body": F("string", "Body in Markdown"), "locale": F("string", "az, en or ru"),
    "slug": F("string", "URL name, unique in the account"),
    "url": F("string", "The article's page in the public help centre", format="uri"),
    "category": F("string", "Category", nullable=True),
    "published": F("boolean", "Whether the help centre, widget and answer bot use it"),
    "createdAt": F("string", "Created", format="date-time"),
    "updatedAt": F("string", "Last changed", format="date-time"),
    "snippet": F("string", "The best-matching passage: in search results only"),
}))
schema(page_of("Article"))
schema(Obj("ArticleHtml", {"html": F("string", "Sanitized HTML")}))
schema(Obj("HelpHit", {
    "_id": F("string", "Article ID"), "title": F("string", "Title"),
    "url": F("string", "Help centre page", format="uri"), "locale": F("string", "az, en or ru"),
    "category": F("string", "Category", nullable=True),
    "snippet": F("string", "The best-matching passage")}))
schema(Obj("HelpHitList", {"items": F("array", "Best match first",
                                      items={"$ref": "#/components/schemas/HelpHit"})}))
schema(Obj("HelpArticle", {
    "_id": F("string", "Article ID"), "title": F("string", "Title"),
    "url": F("string", "Help centre page", format="uri"), "locale": F("string", "az, en or ru"),
    "category": F("string", "Category", nullable=True),
    "html": F("string", "The body rendered to sanitized HTML")}))


@endpoint("POST", "/api/articles", summary="Write an article", tag="articles", auth="agent",
          body=articles.ARTICLE_CREATE, response="Article", status=201,
          errors=(400, 401, 403, 415),
          description="Any human agent may write articles. The slug comes from the title "
                      "(Azerbaijani and Cyrillic letters spelled in ASCII) unless given, with "
                      "-2, -3... added when taken. `url` is the article's help-centre page.")
async def create(request: Request) -> Response:
    principal = await agent(request)
    body = await read_body(request, articles.ARTICLE_CREATE)
    return json_response(await articles.do_create_article(chat_of(request), principal, body), 201)


@endpoint("GET", "/api/articles", summary="List or search articles", tag="articles",
          auth="agent", response="ArticlePage", errors=(400, 401),
          params=(LIMIT, CURSOR, LOCALE,
                  Param("category", "Only articles of this category", {"type": "string"}),
                  Param("q", "Search words: best match first, one page, each with a snippet",
                        {"type": "string"})),
          description="Newest first, unpublished included. With `q`, the best matches (up to "
                      "`limit`) in relevance order and `next` null.")
async def list_(request: Request) -> Response:
    principal = await agent(request)
    q = request.query_params
    page = await articles.list_articles(chat_of(request), principal, q.get("cursor"), q.get("limit"),
                                        q.get("locale"), q.get("category"), q.get("q"))
    return json_response(page.json())


@endpoint("POST", "/api/articles/preview", summary="Render Markdown as the help centre does",
          tag="articles", auth="agent", body=articles.ARTICLE_PREVIEW, response="ArticleHtml",
          errors=(400, 401, 403, 415))
async def preview(request: Request) -> Response:
    principal = await agent(request)
    body = await read_body(request, articles.ARTICLE_PREVIEW)
    return json_response(await articles.do_preview(principal, body))


@endpoint("GET", "/api/articles/{id}", summary="Get an article", tag="articles", auth="agent",
          response="Article", params=(ID,), errors=(401, 404))
async def get(request: Request) -> Response:
    principal = await agent(request)
    return json_response(await articles.get_article(chat_of(request), principal,
                                                    request.path_params["id"]))


@endpoint("PUT", "/api/articles/{id}", summary="Change an article", tag="articles", auth="agent",
          body=articles.ARTICLE_EDIT, response="Article", params=(ID,),
          errors=(400, 401, 403, 404, 415),
          description="The slug (and so the url) changes only when `slug` is sent.")
async def update(request: Request) -> Response:
    principal = await agent(request)
    body = await read_body(request, articles.ARTICLE_EDIT)
    return json_response(await articles.do_update_article(chat_of(request), principal,
                                                          request.path_params["id"], body))


@endpoint("DELETE", "/api/articles/{id}", summary="Delete an article", tag="articles",
          auth="agent", params=(ID,), status=204, errors=(401, 403, 404))
async def delete(request: Request) -> Response:
    principal = await agent(request)
    await articles.do_delete_article(chat_of(request), principal, request.path_params["id"])
    return Response(status_code=204)


SITE_KEY = Param("siteKey", "The account's site key", {"type": "string"}, required=True)


async def _account(request: Request):  # type: ignore[no-untyped-def]
    await limit(request, "visitor", "help:" + (request.client.host if request.client else "unknown"))
    site_key = request.query_params.get("siteKey")
    if not site_key:
        raise Invalid("siteKey is required.")
    account = await chat_of(request).store.get_account_by_site_key(site_key)
    if account is None:
        raise NotFound("No site with this siteKey.")
    return account


@endpoint("GET", "/widget/v1/articles", summary="Search the help centre", tag="widget", auth=None,
          response="HelpHitList", errors=(400, 404, 429),
          params=(SITE_KEY, Param("q", "Search words", {"type": "string"}), LOCALE),
          description="Published articles matching `q`, best first (at most 8); without `q`, the "
                      "newest 8. Rate-limited per address like the visitor's calls.")
async def widget_search(request: Request) -> Response:
    account = await _account(request)
    chat = chat_of(request)
    q = (request.query_params.get("q") or "").strip()[:200]
    locale = request.query_params.get("locale") or None
    if q:
        items = await articles.public_search(chat, account["id"], account["site_key"], q, locale)
    else:
        items = await articles.public_latest(chat, account["id"], account["site_key"], locale)
    return json_response({"items": items})


@endpoint("GET", "/widget/v1/articles/{id}", summary="One help article, rendered", tag="widget",
          auth=None, response="HelpArticle", params=(ID, SITE_KEY), errors=(400, 404, 429))
async def widget_article(request: Request) -> Response:
    account = await _account(request)
    return json_response(await articles.public_article(chat_of(request), account,
                                                       request.path_params["id"]))
