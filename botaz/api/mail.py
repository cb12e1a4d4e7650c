"""Email: the delivery log, the widget's transcript and offline-form calls, password resets."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..chat import mail, password_reset
from ..chat.settings import EMAIL_EDIT
from ..chat.schemas import page_of
from ..chat.views import for_visitor
from ..schema import F, Obj
from .deps import agent, chat_of, visitor
from .http import json_response, read_body
from .registry import CURSOR, LIMIT, endpoint, schema

schema(EMAIL_EDIT)
schema(mail.EMAIL_LOG_ENTRY)
schema(page_of("EmailLogEntry"))
schema(mail.TRANSCRIPT_QUEUED)
schema(password_reset.RESET_REQUESTED)
EMAIL_STATUS = schema(Obj("EmailStatus", {
    "enabled": F("boolean", "Whether this server sends email (BOTAZ_SMTP_URL is set)"),
    "from": F("string", "The sender address (BOTAZ_MAIL_FROM)"),
    "emailDelayS": F("number", "Unseen replies are emailed to offline visitors after this many "
                               "seconds (BOTAZ_EMAIL_DELAY_S)"),
    "alertDelayS": F("number", "Unanswered visitor messages are emailed to agents after this many "
                               "seconds (BOTAZ_ALERT_DELAY_S)"),
}))


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@endpoint("GET", "/api/email/status", summary="Whether this server sends email", tag="email",
          auth="agent", response="EmailStatus", errors=(401,),
          description="The dashboard reads it to say when a feature needs BOTAZ_SMTP_URL.")
async def email_status(request: Request) -> Response:
    await agent(request)
    settings = chat_of(request).settings
    return json_response({"enabled": bool(settings.smtp_url), "from": settings.mail_from,
                          "emailDelayS": settings.email_delay_s,
                          "alertDelayS": settings.alert_delay_s})


@endpoint("GET", "/api/emails", summary="Email delivery log (owners)", tag="email", auth="agent",
          response="EmailLogEntryPage", params=(LIMIT, CURSOR), errors=(400, 401, 403),
          description="Every email botaz queued for the account, newest first: recipient, "
                      "subject, kind, status (pending, sent, failed), attempts, the last error "
                      "and times. Entries are kept 30 days.")
async def email_log(request: Request) -> Response:
    principal = await agent(request)
    q = request.query_params
    page = await mail.list_email_log(chat_of(request), principal, q.get("cursor"), q.get("limit"))
    return json_response(page.json())


@endpoint("POST", "/widget/v1/transcript", summary="Email the conversation to the visitor",
          tag="widget", auth="visitor", body=mail.TRANSCRIPT_REQUEST, response="TranscriptQueued",
          status=202, errors=(400, 401, 403, 409, 415, 429),
          description="Queues an email with every message of the conversation to `email`, or to "
                      "the visitor's email. A visitor without an email gets `email` saved. "
                      "At most 3 an hour per visitor and 20 per client address.")
async def transcript(request: Request) -> Response:
    me = await visitor(request)
    body = await read_body(request, mail.TRANSCRIPT_REQUEST)
    return json_response(await mail.do_request_transcript(chat_of(request), me, body,
                                                          _client(request)), 202)


@endpoint("POST", "/widget/v1/email", summary="Leave an email address for replies", tag="widget",
          auth="visitor", body=mail.VISITOR_EMAIL, response="Visitor", errors=(400, 401, 403, 415),
          description="The widget's offline form: saves the visitor's email (and the widget's "
                      "language, for the emails), so unseen replies reach the visitor by email.")
async def leave_email(request: Request) -> Response:
    me = await visitor(request)
    body = await read_body(request, mail.VISITOR_EMAIL)
    return json_response(for_visitor(await mail.do_save_visitor_email(chat_of(request), me, body)))


@endpoint("POST", "/auth/password-reset", summary="Ask for a password reset link", tag="auth",
          auth=None, body=password_reset.RESET_REQUEST, response="PasswordResetRequested",
          status=202, errors=(400, 409, 415, 429),
          description="Emails every agent who signs in with `email` a link, valid one hour and "
                      "usable once, to choose a new password. The answer is the same whether or "
                      "not the email is known. At most 3 requests an hour per email and 20 per "
                      "client address.")
async def request_reset(request: Request) -> Response:
    body = await read_body(request, password_reset.RESET_REQUEST)
    return json_response(await password_reset.do_request_reset(chat_of(request), body,
                                                               _client(request)), 202)


@endpoint("POST", "/auth/password-reset/confirm", summary="Choose a new password with a reset link",
          tag="auth", auth=None, body=password_reset.RESET_CONFIRM, status=204,
          errors=(400, 415),
          description="Spends the link's token, sets the password and signs the agent out of "
                      "every session.")
async def confirm_reset(request: Request) -> Response:
    body = await read_body(request, password_reset.RESET_CONFIRM)
    await password_reset.do_confirm_reset(chat_of(request), body)
    return Response(status_code=204)
