"""Conversations as episodes: history, ratings (widget), labels and reports."""

from __future__ import annotations

from typing import Any

from starlette.responses import StreamingResponse

from ..chat import episodes, labels, reports, settings
from ..schema import F, Obj
from .registry import Call, CURSOR, LIMIT, Param, endpoint, schema

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
async def rate(call: Call) -> Any:
    me = call.visitor
    body = call.body
    return await episodes.do_rate(call.chat, me, body)


@endpoint("GET", "/widget/v1/rating", summary="Whether to ask for a rating", tag="widget",
          auth="visitor", response="VisitorRating", errors=(401, 403),
          description="`ask` is true when the account asks for ratings and the visitor's last "
                      "conversation is resolved and not rated yet.")
async def rating(call: Call) -> Any:
    me = call.visitor
    return await episodes.visitor_rating(call.chat, me)


@endpoint("GET", "/api/conversations/{visitorId}/history", summary="A visitor's conversations",
          tag="conversations", auth="agent", response="EpisodePage", params=(VISITOR_ID, LIMIT, CURSOR),
          errors=(400, 401, 404),
          description="Every conversation of the visitor, newest first (the first is the current "
                      "one), with times, rating, labels and assignments.")
async def history(call: Call) -> Any:
    principal = call.principal
    q = call.query_params
    page = await episodes.list_history(call.chat, principal, call.path_params["visitorId"],
                                       q.get("cursor"), q.get("limit"))
    return page.json()


@endpoint("GET", "/api/labels", summary="Labels", tag="conversations", auth="agent",
          response="LabelList", errors=(401,))
async def list_labels(call: Call) -> Any:
    principal = call.principal
    return await labels.list_labels(call.chat, principal)


@endpoint("POST", "/api/labels", summary="Add a label", tag="conversations", auth="agent",
          body=labels.LABEL_CREATE, response="Label", status=201, errors=(400, 401, 403, 409, 415),
          description="Owners only.")
async def create_label(call: Call) -> Any:
    principal = call.principal
    body = call.body
    return await labels.do_create_label(call.chat, principal, body)


@endpoint("PUT", "/api/labels/{id}", summary="Rename or recolour a label", tag="conversations",
          auth="agent", body=labels.LABEL_EDIT, response="Label", params=(ID,),
          errors=(400, 401, 403, 404, 409, 415), description="Owners only.")
async def edit_label(call: Call) -> Any:
    principal = call.principal
    body = call.body
    return await labels.do_edit_label(call.chat, principal,
                                      call.path_params["id"], body)


@endpoint("DELETE", "/api/labels/{id}", summary="Delete a label", tag="conversations",
          auth="agent", params=(ID,), status=204, errors=(401, 403, 404),
          description="Owners only. Takes it off every conversation.")
async def delete_label(call: Call) -> Any:
    principal = call.principal
    await labels.do_delete_label(call.chat, principal, call.path_params["id"])
    return None


@endpoint("POST", "/api/conversations/{visitorId}/labels", summary="Label a conversation",
          tag="conversations", auth="agent", body=labels.LABEL_ADD, response="Episode",
          params=(VISITOR_ID,), errors=(400, 401, 404, 409, 415),
          description="Puts the label on the visitor's current conversation; 409 before its first "
                      "message. Goes to webhooks as `conversation.labeled`.")
async def add_label(call: Call) -> Any:
    principal = call.principal
    body = call.body
    return await labels.do_add_label(call.chat, principal,
                                     call.path_params["visitorId"], body)


@endpoint("DELETE", "/api/conversations/{visitorId}/labels/{id}", summary="Unlabel a conversation",
          tag="conversations", auth="agent", response="Episode",
          params=(VISITOR_ID, Param("id", "Label ID", {"type": "string"}, where="path", required=True)),
          errors=(401, 404, 409))
async def remove_label(call: Call) -> Any:
    principal = call.principal
    return await labels.do_remove_label(call.chat, principal,
                                        call.path_params["visitorId"],
                                        call.path_params["id"])


@endpoint("GET", "/api/reports/summary", summary="Response times, ratings and agents",
          tag="reports", auth="agent", response="ReportSummary", params=WINDOW, errors=(400, 401),
          description="Counted over the conversations opened in [from, to): median and p90 of "
                      "the first human response (conversations the visitor started) and of the "
                      "resolution time, in ms; the average rating; per agent who answered first.")
async def summary(call: Call) -> Any:
    principal = call.principal
    return await reports.summary(call.chat, principal, call.query_params)


@endpoint("GET", "/api/reports/breakdown", summary="Reports per day and hour", tag="reports",
          auth="agent", response="ReportBreakdown",
          params=(*WINDOW, Param("tz", "Time zone of days and hours (default UTC)", {"type": "string"})),
          errors=(400, 401),
          description="What the dashboard's reports page draws: the summary, and per day, per "
                      "weekday and hour, per rating score.")
async def breakdown(call: Call) -> Any:
    principal = call.principal
    return await reports.breakdown(call.chat, principal, call.query_params)


@endpoint("GET", "/api/reports/conversations.csv", summary="Export conversations as CSV",
          tag="reports", auth="agent", params=WINDOW, errors=(400, 401),
          description="text/csv, one row a conversation opened in [from, to), oldest first: "
                      + ", ".join(reports.CSV_COLUMNS) + ".")
async def export(call: Call) -> Any:
    principal = call.principal
    reports.check_window(call.query_params)  # a bad window is a JSON 400, not half a file
    return StreamingResponse(
        reports.export_csv(call.chat, principal, dict(call.query_params)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="conversations.csv"',
                 "Cache-Control": "no-store"})
