"""The HTTP API. Its endpoints are declared with @endpoint (or @page) in these modules, and only
these: create_app imports them, in this order (the OpenAPI document lists them in it), and the
dispatcher (api/dispatch.py) serves what they declared. A new endpoint module is added here."""

ENDPOINT_MODULES = (
    "botaz.api.agents",
    "botaz.api.auth",
    "botaz.api.bots",
    "botaz.api.dashboard",
    "botaz.api.files",
    "botaz.api.messages",
    "botaz.api.settings",
    "botaz.api.team",
    "botaz.api.visitors",
    "botaz.api.webhooks",
    "botaz.api.widget",
    "botaz.api.push",
    "botaz.api.link",
    "botaz.api.availability",
    "botaz.api.mail",
    "botaz.api.reports",
    "botaz.api.articles",
    "botaz.api.help",
    "botaz.api.identity",
    "botaz.api.openapi",
    "botaz.observability",
)
