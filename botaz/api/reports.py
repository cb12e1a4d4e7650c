"""Conversations as episodes: history, ratings (widget), labels and reports."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ..chat import episodes, labels, reports, settings
from ..schema import F, Obj
from .deps import agent, chat_of, visitor
from .http import json_response, read_body
from .registry import CURSOR, LIMIT, Param, endpoint, schema

VISITOR_ID = Param("visitorId", "The visitor whose conversation it is", {"type": "string"},
                   where="path", required=True)
ID = Param("id", "ID", {"type": "string"}, where="path", required=True)
WINDOW = (Param("from", "Start (ISO 8601 date or time, inclusive; default 30 days before `to`)",
                {"type": "string"}),
          Param("to", "End (exclusive; a date alone means the end of that day; default now)",
                {"type": "string"}))
_MEDIAN_P90 = {"type": "object", "properties": {"median": {"type": ["integer", "null"]},
                                                "p90": {"type": ["integer", "null"]}}}

schema(settings.SATISFACTION_EDIT)
schema(settings.TARGETS_EDIT)
EPISODE = schema(Obj("Episode", {
    "_id": F("string", "Conversation ID"),
    "visitorId": F("string", "The visitor"),
    "openedAt": F("string", "First message", format="date-time"),
    "openedBy": F("string", "The agent who wrote first; null: the visitor", nullable=True),
    "firstResponseAt": F("string", "First message of a human agent", format="date-time", nullable=True),
    "firstResponderId": F("string", "That agent", nullable=True),
    "firstResponseMs": F("integer", "Wait for that answer (conversations the visitor started)",
                         nullable=True),
    "botAnsweredAt": F("string", "First bot message", format="date-time", nullable=True),
    "assigneeId": F("string", "Assigned agent", nullable=True),
    "status": F("string", "open or resolved", enum=("open", "resolved")),
    "resolvedAt": F("string", "When it was resolved", format="date-time", nullable=True),
    "resolvedBy": F("string", "The agent who resolved it", nullable=True),
    "resolutionMs": F("integer", "From the first message to resolution", nullable=True),
    "resolvedByBot": F("boolean", "Resolved with a bot's answers and no human's"),
    "rating": F("object", "The visitor's rating: {score, comment, ratedAt}", nullable=True),
    "labels": F("array", "Labels", items={"type": "object"}),
    "assignments": F("array", "Only in the history: {agentId, by, at} in order",
                     items={"type": "object"}),
}))
schema(Obj("EpisodePage", {
    "items": F("array", "Conversations, newest first, each with its `assignments`",
               items={"$ref": "#/components/schemas/Episode"}),
    "next": F("string", "Cursor of the next page", nullable=True)}))
LABEL = schema(Obj("Label", {"_id": F("string", "Label ID"), "name": F("string", "Name"),
                             "color": F("string", "#rrggbb"),
                             "createdAt": F("string", "Created", format="date-time")}))
schema(Obj("LabelList", {"items": F("array", "Labels by name",
                                    items={"$ref": "#/components/schemas/Label"})}))
schema(Obj("VisitorRating", {
    "conversationId": F("string", "The visitor's current conversation", nullable=True),
    "status": F("string", "open or resolved", nullable=True),
    "ask": F("boolean", "Whether the widget should ask for a rating now"),
    "score": F("integer", "The rating given, 1 to 5", nullable=True),
    "comment": F("string", "Its comment", nullable=True),
    "ratedAt": F("string", "When", format="date-time", nullable=True),
}))
SUMMARY = schema(Obj("ReportSummary", {
    "conversations": F("integer", "Conversations opened in the window"),
    "firstResponseMs": F("object", "Wait for the first human answer: {median, p90}"),
    "resolutionMs": F("object", "First message to resolution: {median, p90}"),
    "csat": F("object", "Ratings: {average, count}"),
    "byAgent": F("array", "Per first-responding agent: {agentId, conversations, "
                          "firstResponseMs: {median}}", items={"type": "object"}),
    "resolved": F("integer", "How many of them are resolved"),
    "resolvedByBot": F("integer", "Resolved with a bot's answers and no human's"),
    "firstResponseTarget": F("object", "{seconds, met}: the account's target and the share of "
                                       "answered conversations that met it"),
    "from": F("string", "Window start", format="date-time"),
    "to": F("string", "Window end (exclusive)", format="date-time"),
}))
schema(Obj("ReportBreakdown", {
    "summary": F("object", "As /api/reports/summary", ref="ReportSummary"),
    "tz": F("string", "Time zone of days and hours"),
    "days": F("array", "Per day: {date, conversations, firstResponseMs, resolutionMs}",
              items={"type": "object"}),
    "heatmap": F("array", "7 rows (Monday first) of 24 hourly counts of conversations opened",
                 items={"type": "array"}),
    "ratings": F("object", "How many ratings of each score, \"1\" to \"5\""),
}))


@endpoint("POST", "/widget/v1/rating", summary="Rate the conversation", tag="widget",
          auth="visitor", body=episodes.RATING, response="VisitorRating",
          errors=(400, 401, 403, 409, 415),
          description="Rates the visitor's current conversation (open, or the one just resolved) "
                      "from 1 to 5 with an optional comment; a new rating replaces the previous. "
                      "409 before the visitor's first message. Goes to webhooks as "
                      "`conversation.rated`.")
async def rate(request: Request) -> Response:
    me = await visitor(request)
    body = await read_body(request, episodes.RATING)
    return json_response(await episodes.do_rate(chat_of(request), me, body))


@endpoint("GET", "/widget/v1/rating", summary="Whether to ask for a rating", tag="widget",
          auth="visitor", response="VisitorRating", errors=(401, 403),
          description="`ask` is true when the account asks for ratings and the visitor's last "
                      "conversation is resolved and not rated yet.")
async def rating(request: Request) -> Response:
    me = await visitor(request)
    return json_response(await episodes.visitor_rating(chat_of(request), me))


@endpoint("GET", "/api/conversations/{visitorId}/history", summary="A visitor's conversations",
          tag="conversations", auth="agent", response="EpisodePage", params=(VISITOR_ID, LIMIT, CURSOR),
          errors=(400, 401, 404),
          description="Every conversation of the visitor, newest first (the first is the current "
                      "one), with times, rating, labels and assignments.")
async def history(request: Request) -> Response:
    principal = await agent(request)
    q = request.query_params
    page = await episodes.list_history(chat_of(request), principal, request.path_params["visitorId"],
                                       q.get("cursor"), q.get("limit"))
    return json_response(page.json())


@endpoint("GET", "/api/labels", summary="Labels", tag="conversations", auth="agent",
          response="LabelList", errors=(401,))
async def list_labels(request: Request) -> Response:
    principal = await agent(request)
    return json_response(await labels.list_labels(chat_of(request), principal))


@endpoint("POST", "/api/labels", summary="Add a label", tag="conversations", auth="agent",
          body=labels.LABEL_CREATE, response="Label", status=201, errors=(400, 401, 403, 409, 415),
          description="Owners only.")
async def create_label(request: Request) -> Response:
    principal = await agent(request)
    body = await read_body(request, labels.LABEL_CREATE)
    return json_response(await labels.do_create_label(chat_of(request), principal, body), 201)


@endpoint("PUT", "/api/labels/{id}", summary="Rename or recolour a label", tag="conversations",
          auth="agent", body=labels.LABEL_EDIT, response="Label", params=(ID,),
          errors=(400, 401, 403, 404, 409, 415), description="Owners only.")
async def edit_label(request: Request) -> Response:
    principal = await agent(request)
    body = await read_body(request, labels.LABEL_EDIT)
    return json_response(await labels.do_edit_label(chat_of(request), principal,
                                                    request.path_params["id"], body))


@endpoint("DELETE", "/api/labels/{id}", summary="Delete a label", tag="conversations",
          auth="agent", params=(ID,), status=204, errors=(401, 403, 404),
          description="Owners only. Takes it off every conversation.")
async def delete_label(request: Request) -> Response:
    principal = await agent(request)
    await labels.do_delete_label(chat_of(request), principal, request.path_params["id"])
    return Response(status_code=204)


@endpoint("POST", "/api/conversations/{visitorId}/labels", summary="Label a conversation",
          tag="conversations", auth="agent", body=labels.LABEL_ADD, response="Episode",
          params=(VISITOR_ID,), errors=(400, 401, 404, 409, 415),
          description="Puts the label on the visitor's current conversation; 409 before its first "
                      "message. Goes to webhooks as `conversation.labeled`.")
async def add_label(request: Request) -> Response:
    principal = await agent(request)
    body = await read_body(request, labels.LABEL_ADD)
    return json_response(await labels.do_add_label(chat_of(request), principal,
                                                   request.path_params["visitorId"], body))


@endpoint("DELETE", "/api/conversations/{visitorId}/labels/{id}", summary="Unlabel a conversation",
          tag="conversations", auth="agent", response="Episode",
          params=(VISITOR_ID, Param("id", "Label ID", {"type": "string"}, where="path", required=True)),
          errors=(401, 404, 409))
async def remove_label(request: Request) -> Response:
    principal = await agent(request)
    return json_response(await labels.do_remove_label(chat_of(request), principal,
                                                      request.path_params["visitorId"],
                                                      request.path_params["id"]))


@endpoint("GET", "/api/reports/summary", summary="Response times, ratings and agents",
          tag="reports", auth="agent", response="ReportSummary", params=WINDOW, errors=(400, 401),
          description="Counted over the conversations opened in [from, to): median and p90 of "
                      "the first human response (conversations the visitor started) and of the "
                      "resolution time, in ms; the average rating; per agent who answered first.")
async def summary(request: Request) -> Response:
    principal = await agent(request)
    return json_response(await reports.summary(chat_of(request), principal, request.query_params))


@endpoint("GET", "/api/reports/breakdown", summary="Reports per day and hour", tag="reports",
          auth="agent", response="ReportBreakdown",
          params=(*WINDOW, Param("tz", "Time zone of days and hours (default UTC)", {"type": "string"})),
          errors=(400, 401),
          description="What the dashboard's reports page draws: the summary, and per day, per "
                      "weekday and hour, per rating score.")
async def breakdown(request: Request) -> Response:
    principal = await agent(request)
    return json_response(await reports.breakdown(chat_of(request), principal, request.query_params))


@endpoint("GET", "/api/reports/conversations.csv", summary="Export conversations as CSV",
          tag="reports", auth="agent", params=WINDOW, errors=(400, 401),
          description="text/csv, one row a conversation opened in [from, to), oldest first: "
                      + ", ".join(reports.CSV_COLUMNS) + ".")
async def export(request: Request) -> Response:
    principal = await agent(request)
    reports.check_window(request.query_params)  # a bad window is a JSON 400, not half a file
    return StreamingResponse(
        reports.export_csv(chat_of(request), principal, dict(request.query_params)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="conversations.csv"',
                 "Cache-Control": "no-store"})
