"""Typed request bodies (botaz/schema.py): msgspec Structs, their one-sentence errors, the fast
bytes path agreeing with the dict path, and the OpenAPI schemas written from the same types."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from botaz.api.http import ApiError, convert, parse_body
from botaz.chat import activity, push, settings, team
from botaz.chat.errors import Invalid
from botaz.chat.schemas import MessageCreate, VisitorEdit
from botaz.schema import UNSET, present

SETTINGS = SimpleNamespace(max_json_depth=32)
GOOD = {"userId": "MvSzqx36KksKNxHmK", "visitorId": "BtR7qAyvZfTWoaC7a", "text": "Hi"}


def sentence(spec, data) -> str:
    with pytest.raises(Invalid) as info:
        convert(spec, data)
    return info.value.message


@pytest.mark.parametrize("spec, data, expected", [
    (MessageCreate, {"userId": "a", "visitorId": "b"}, "text is required."),
    (MessageCreate, {**GOOD, "text": 5}, "text must be a string."),
    (MessageCreate, {**GOOD, "text": None}, "text must be a string, not null."),
    (MessageCreate, {**GOOD, "text": "   "}, "text must not be empty."),
    (MessageCreate, {**GOOD, "text": "x" * 10_001}, "text must be at most 10000 characters."),
    (MessageCreate, {**GOOD, "text": "a\x00b"}, "text must not contain NUL characters."),
    (MessageCreate, {**GOOD, "txt": "x"},
     "txt is not an accepted field here; accepted fields: userId, visitorId, text."),
    (MessageCreate, [GOOD], "The request body must be a JSON object."),
    (VisitorEdit, {"email": "not-an-address"}, "email must be a valid email address."),
    (VisitorEdit, {"name": 5}, "name must be a string."),
    (team.Status, {"status": "closed"}, "status must be one of: open, resolved."),
    (team.Assign, {}, "agentId is required (null unassigns)."),
    (activity.Typing, {"typing": "yes"}, "typing must be true or false."),
    (settings.SettingsEdit, {"preform": {"fields": ["name", "age"]}},
     "preform.fields[1] must be one of: name, email, phone."),
    (settings.SettingsEdit, {"widget": {"colour": "#fff"}},
     "widget.colour is not an accepted field here; accepted fields: greeting, color, title, position, sound."),
    (settings.SettingsEdit, {"targets": {"firstResponseSeconds": 1.5}},
     "targets.firstResponseSeconds must be an integer."),
    (push.PushSubscriptionCreate, {"endpoint": "https://x", "keys": {"auth": "a"}},
     "keys.p256dh is required."),
])
def test_errors_are_one_sentence_naming_the_field(spec, data, expected) -> None:
    assert sentence(spec, data) == expected


def test_missing_key_is_not_null() -> None:
    edit = convert(VisitorEdit, {"name": None, "phone": "+994"})
    assert edit.name is None and edit.email is UNSET
    assert present(edit) == {"name": None, "phone": "+994"}
    # A blank email removes the value (as null does) rather than failing the format check.
    assert present(convert(VisitorEdit, {"email": "  "})) == {"email": "  "}


def test_bytes_and_dict_paths_agree() -> None:
    raw = b'{"userId": "MvSzqx36KksKNxHmK", "visitorId": "BtR7qAyvZfTWoaC7a", "text": "Hi"}'
    assert parse_body(MessageCreate, raw, SETTINGS) == convert(MessageCreate, GOOD)
    # The seed's own example ends an object with ",}": forgiven on the typed path too.
    trailing = b'{"userId": "MvSzqx36KksKNxHmK", "visitorId": "BtR7qAyvZfTWoaC7a", "text": "Hi",}'
    assert parse_body(MessageCreate, trailing, SETTINGS).text == "Hi"
    bad = [(b'{"text": 5, "userId": "a", "visitorId": "b"}', "text must be a string."),
           (b'{"userId": "a", "visitorId": "b", "text": "\\u0000"}', "text must not contain NUL characters."),
           (b'{"userId": "a"}', "visitorId is required.")]
    for raw, message in bad:
        with pytest.raises(Invalid) as info:
            parse_body(MessageCreate, raw, SETTINGS)
        assert info.value.message == message, raw
    for raw, message in [(b"", "The request body is empty; send a JSON object."),
                         (b"{", "The request body is not valid JSON."),
                         (b"[]", "The request body must be a JSON object."),
                         (b'{"text": ' + b"[" * 40 + b"]" * 40 + b"}",
                          "The JSON body is nested deeper than 32 levels.")]:
        with pytest.raises(ApiError) as api_error:
            parse_body(MessageCreate, raw, SETTINGS)
        assert api_error.value.message == message, raw
    # Free-form parts (custom attributes) always pass the depth limit first.
    deep = b'{"attributes": {"a": ' + b"[" * 40 + b"]" * 40 + b"}}"
    from botaz.chat.identity import WidgetAttributes

    with pytest.raises(ApiError):
        parse_body(WidgetAttributes, deep, SETTINGS)
    assert parse_body(WidgetAttributes, b'{"attributes": {"plan": "pro"}}', SETTINGS).attributes == {"plan": "pro"}


def test_api_answers_the_sentences(botaz) -> None:
    acme = botaz.account()
    vid = botaz.visitor(acme)["visitorId"]
    r = botaz.client.post("/api/messages/", headers=acme.headers,
                          json={"userId": acme.agent_id, "visitorId": vid})
    assert r.status_code == 400 and r.json() == {"status": "error", "message": "text is required."}
    r = botaz.client.put(f"/api/visitors/{vid}", headers=acme.headers, json={"nme": "x"})
    assert r.status_code == 400 and r.json()["message"] == (
        "nme is not an accepted field here; accepted fields: name, email, phone, notes.")
    r = botaz.client.put(f"/api/visitors/{vid}", headers=acme.headers, json={"name": "Anar", "phone": "1"})
    assert r.status_code == 200 and r.json()["name"] == "Anar"
    r = botaz.client.put(f"/api/visitors/{vid}", headers=acme.headers, json={"phone": None})
    assert r.status_code == 200 and r.json()["name"] == "Anar" and r.json()["phone"] is None


def test_openapi_schemas_come_from_the_types(botaz) -> None:
    schemas = botaz.client.get("/api/openapi.json").json()["components"]["schemas"]
    message = schemas["Message"]
    assert set(message["required"]) == {"_id", "userId", "visitorId", "text", "seen", "sentAt"}
    assert message["properties"]["attachment"]["anyOf"] == [
        {"$ref": "#/components/schemas/Attachment"}, {"type": "null"}]
    assert set(schemas["Attachment"]["required"]) == {"id", "name", "type", "size", "url"}
    assert "notes" in schemas["Visitor"]["required"]
    assert schemas["OnlineVisitor"]["properties"]["status"]["enum"] == ["open", "resolved"]
    assert schemas["Status"]["properties"]["status"]["enum"] == ["open", "resolved"]
    create = schemas["MessageCreate"]
    assert create["required"] == ["userId", "visitorId", "text"]
    assert create["additionalProperties"] is False
    assert create["properties"]["text"]["maxLength"] == 10_000
    edit = schemas["VisitorEdit"]
    assert "required" not in edit and edit["properties"]["email"]["type"] == ["string", "null"]


def test_conversation_assignee_filter_is_a_word_or_an_id(botaz) -> None:
    acme = botaz.account()
    for value in ("me", "none", "all", acme.agent_id):
        r = botaz.client.get(f"/api/conversations?assignee={value}", headers=acme.headers)
        assert r.status_code == 200, value
    r = botaz.client.get("/api/conversations?assignee=everyone", headers=acme.headers)
    assert r.status_code == 400 and r.json()["message"] == "assignee must be me, none, all or an agent ID."
    doc = botaz.client.get("/api/openapi.json").json()
    params = doc["paths"]["/api/conversations"]["get"]["parameters"]
    schema = next(p["schema"] for p in params if p["name"] == "assignee")
    assert schema["anyOf"][0] == {"enum": ["me", "none", "all"]}
