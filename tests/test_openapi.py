"""The OpenAPI document is generated from the endpoint registry and describes every route."""

from __future__ import annotations

from openapi_spec_validator import validate

from botaz.api.registry import ENDPOINTS


def test_openapi_document_is_valid_and_complete(botaz) -> None:
    r = botaz.client.get("/api/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.1")
    validate(doc)
    for ep in ENDPOINTS:
        for path in ep.paths:
            if ep.hidden:  # pages, assets and operations' routes: served, not documented
                assert path not in doc["paths"], path
                continue
            assert ep.method.lower() in doc["paths"][path], (ep.method, path)
    post = doc["paths"]["/api/messages/"]["post"]
    schema = doc["components"]["schemas"]["MessageCreate"]
    assert schema["required"] == ["userId", "visitorId", "text"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("MessageCreate")
    visitor_edit = doc["components"]["schemas"]["VisitorEdit"]
    assert set(visitor_edit["properties"]) == {"name", "email", "phone", "notes"}
    assert visitor_edit["additionalProperties"] is False


def test_reference_page_lists_endpoints(botaz) -> None:
    r = botaz.client.get("/api/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    for text in ("/api/messages/{id}", "/api/visitors/{id}", "Send a message as an agent",
                 "/widget/v1/visitors"):
        assert text in r.text
