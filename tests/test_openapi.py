"""The OpenAPI document is generated from the endpoint registry and describes every route."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from botaz.api.openapi import operation_id, served_document, tag_of
from botaz.api.registry import ENDPOINTS

METHODS = ("get", "put", "post", "delete")


def _operations(doc):
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def test_openapi_document_is_valid_and_complete(botaz) -> None:
    r = botaz.client.get("/api/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.1")
    validate(doc)
    for ep in ENDPOINTS:  # every endpoint once, at one of its paths
        documented = [p for p in ep.paths if ep.method.lower() in doc["paths"].get(p, {})]
        assert len(documented) == 1, (ep.method, ep.paths)
    # POST /api/messages/ and /api/messages are one operation, documented without the slash.
    assert "/api/messages/" not in doc["paths"]
    post = doc["paths"]["/api/messages"]["post"]
    assert "/api/messages/" in post["description"]
    schema = doc["components"]["schemas"]["MessageCreate"]
    assert schema["required"] == ["userId", "visitorId", "text"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("MessageCreate")
    visitor_edit = doc["components"]["schemas"]["VisitorEdit"]
    assert set(visitor_edit["properties"]) == {"name", "email", "phone", "notes"}
    assert visitor_edit["additionalProperties"] is False
    # servers: the URL the document was asked at.
    assert doc["servers"] == [{"url": botaz.url, "description": "This botaz server"}]


def test_servers_prefer_the_public_url() -> None:
    doc = served_document("https://chat.example.org/")
    assert doc["servers"][0]["url"] == "https://chat.example.org"


def test_operation_ids_and_tags_are_named_after_resources(botaz) -> None:
    doc = botaz.client.get("/api/openapi.json").json()
    ids = [op["operationId"] for _, _, op in _operations(doc)]
    assert len(ids) == len(set(ids)), "operationIds must be unique"
    assert all(re.fullmatch(r"[a-z]+(?:[A-Z][a-z]*)*", i) for i in ids), ids
    by_route = {(m, p): op["operationId"] for p, m, op in _operations(doc)}
    assert by_route["post", "/api/messages"] == "createMessage"
    assert by_route["get", "/api/messages/{id}"] == "getMessage"
    assert by_route["put", "/api/messages/{id}"] == "updateMessage"
    assert by_route["delete", "/api/messages/{id}"] == "deleteMessage"
    assert by_route["get", "/api/visitors/{id}/messages"] == "listVisitorMessages"
    assert by_route["post", "/api/visitors/{id}/ban"] == "banVisitor"
    assert by_route["get", "/widget/v1/messages"] == "listWidgetMessages"
    assert operation_id("GET", "/api/widgets/{id}/parts") == "listWidgetParts"  # a new endpoint
    declared = {t["name"] for t in doc["tags"]}
    for path, _, op in _operations(doc):
        assert op["tags"] == [tag_of(path)] and op["tags"][0] in declared, (path, op["tags"])
    assert tag_of("/api/canned/{id}") == "canned" and tag_of("/widget/v1/me") == "widget"


def test_every_operation_declares_its_errors_and_rate_limit_headers(botaz) -> None:
    doc = botaz.client.get("/api/openapi.json").json()
    responses = doc["components"]["responses"]
    too_many = responses["TooManyRequests"]
    assert set(too_many["headers"]) == {"Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining",
                                        "X-RateLimit-Reset"}
    for name in ("MethodNotAllowed", "ServerError", "NotFound"):
        assert responses[name]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    for path, method, op in _operations(doc):
        for code in ("405", "429", "500", "503"):
            assert code in op["responses"], (method, path, code)
    get = doc["paths"]["/api/messages/{id}"]["get"]["responses"]
    assert get["404"] == {"$ref": "#/components/responses/NotFound"}
    assert "X-RateLimit-Remaining" in get["200"]["headers"]


def test_limits_are_bounded_and_auth_is_described(botaz) -> None:
    doc = botaz.client.get("/api/openapi.json").json()
    limits = 0
    for path, method, op in _operations(doc):
        for p in op.get("parameters", []):
            if p["name"] == "limit":
                limits += 1
                # Declared on the Param, which the server checks: the document adds no bound.
                assert p["schema"]["minimum"] >= 1 and p["schema"]["maximum"] <= 500, (path, p)
    assert limits >= 10
    schemes = doc["components"]["securitySchemes"]
    assert schemes["sessionCookie"] == {**schemes["sessionCookie"], "type": "apiKey", "in": "cookie",
                                        "name": "botaz_session"}
    assert schemes["csrfToken"]["in"] == "header" and schemes["csrfToken"]["name"] == "X-CSRF-Token"
    assert doc["paths"]["/api/visitors/{id}"]["get"]["security"] == [{"apiToken": []},
                                                                     {"sessionCookie": []}]
    assert doc["paths"]["/api/visitors/{id}"]["put"]["security"] == [
        {"apiToken": []}, {"sessionCookie": [], "csrfToken": []}]
    assert doc["paths"]["/widget/v1/me"]["get"]["security"] == [{"visitorToken": []}]
    assert doc["paths"]["/widget/v1/config"]["get"]["security"] == []


def test_uploads_and_downloads_describe_their_content(botaz) -> None:
    doc = botaz.client.get("/api/openapi.json").json()
    for path in ("/widget/v1/attachments", "/api/visitors/{id}/attachments"):
        op = doc["paths"][path]["post"]
        assert op["requestBody"]["content"] == {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
        assert "image/png" in op["requestBody"]["description"]
        names = {(p["in"], p["name"]) for p in op["parameters"]}
        assert {("header", "X-Filename"), ("query", "name")} <= names
    download = doc["paths"]["/attachments/{id}"]["get"]["responses"]["200"]
    assert list(download["content"])[0] == "application/octet-stream"
    assert {"image/png", "application/pdf", "text/plain"} <= set(download["content"])
    assert "Content-Disposition" in download["headers"]
    csv = doc["paths"]["/api/reports/conversations.csv"]["get"]["responses"]["200"]
    assert set(csv["content"]) == {"text/csv"}


def test_octet_stream_uploads_take_the_type_from_the_name(botaz) -> None:
    acme = botaz.account()
    vid = botaz.visitor(acme)["visitorId"]
    octet = acme.headers | {"Content-Type": "application/octet-stream"}
    r = botaz.client.post(f"/api/visitors/{vid}/attachments", content=b"a,b\n1,2\n",
                          headers=octet | {"X-Filename": "table.csv"})
    assert r.status_code == 201, r.text
    attachment = r.json()["attachment"]
    assert attachment["name"] == "table.csv" and attachment["type"] == "text/csv"
    got = botaz.client.get(f"/attachments/{attachment['id']}", headers=acme.headers)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert got.content == b"a,b\n1,2\n"
    for name in ("program.exe", "noextension"):
        r = botaz.client.post(f"/api/visitors/{vid}/attachments", content=b"MZ",
                              headers=octet | {"X-Filename": name})
        assert r.status_code == 415 and r.json()["status"] == "error", name


def test_reference_page_lists_endpoints(botaz) -> None:
    r = botaz.client.get("/api/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    for text in ("/api/messages/{id}", "/api/visitors/{id}", "Send a message as an agent",
                 "/widget/v1/visitors", "Rate limited", "X-Filename"):
        assert text in r.text
