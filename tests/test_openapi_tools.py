"""The served OpenAPI document, as third-party tools take it: Redocly's linter finds no problem in
it (redocly.yaml), and a client generated from it by openapi-python-client, with no edit, drives
the seed's calls.

The tools come from `./dev test` (package.json's @redocly/cli, pyproject's test extra). Without
them these tests are skipped on a laptop, but fail on CI (CI=true).
"""

from __future__ import annotations

import importlib
import io
import json
import os
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
REDOCLY = ROOT / "node_modules" / ".bin" / "redocly"
ON_CI = os.environ.get("CI") == "true"
PACKAGE = "botaz_generated_client"


def _need(present: bool, what: str) -> None:
    if present:
        return
    if ON_CI:
        pytest.fail(f"{what} is missing: ./dev test installs it", pytrace=False)
    pytest.skip(f"{what} is missing: run ./dev test to install it")


def _served(botaz, tmp_path: Path) -> Path:
    r = botaz.client.get("/api/openapi.json")
    assert r.status_code == 200
    path = tmp_path / "openapi.json"
    path.write_text(r.text)
    return path


def test_redocly_lint_finds_no_problem(botaz, tmp_path: Path) -> None:
    _need(REDOCLY.exists(), f"{REDOCLY} (@redocly/cli)")
    document = _served(botaz, tmp_path)
    env = {**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"}
    report = tmp_path / "lint.json"
    run = subprocess.run([str(REDOCLY), "lint", str(document), "--config", str(ROOT / "redocly.yaml"),
                          "--format", "json"], capture_output=True, text=True, timeout=90, env=env,
                         cwd=tmp_path)
    report.write_text(run.stdout)
    problems = json.loads(run.stdout[run.stdout.index("{"):])["problems"]
    shown = [f"{p['severity']} {p['ruleId']}: {p['message']} at {p['location'][0]['pointer']}"
             for p in problems]
    assert not shown, "\n".join(shown)
    assert run.returncode == 0, run.stderr[-2000:]


@pytest.fixture(scope="module")
def generated(botaz, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """`openapi-python-client generate` on the served document, imported as it is."""
    _need(find_spec("openapi_python_client") is not None, "openapi-python-client")
    folder = tmp_path_factory.mktemp("generated")
    document = _served(botaz, folder)
    # Its formatter (ruff) is installed beside it, in the same bin folder as this Python.
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    run = subprocess.run([sys.executable, "-m", "openapi_python_client", "generate", "--path", str(document),
                          "--meta", "none", "--output-path", str(folder / PACKAGE)],
                         capture_output=True, text=True, timeout=120, env=env, cwd=folder)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    # Every operation became a function: no "Warning(s) encountered" about skipped parts.
    assert "Warning" not in run.stdout + run.stderr, run.stdout[-3000:] + run.stderr[-3000:]
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_generated_client_drives_the_seed_flow(botaz, generated) -> None:
    client_module = _module("client")
    models = _module("models")
    from_types = _module("types")
    api = {name: _module(f"api.{name}") for name in ("messages", "visitors", "widget", "attachments")}
    messages, visitors = api["messages"], api["visitors"]
    for name in ("create_message", "get_message", "update_message", "delete_message"):
        importlib.import_module(f"{PACKAGE}.api.messages.{name}")
    for name in ("get_visitor", "update_visitor", "list_visitor_messages", "upload_visitor_attachment"):
        importlib.import_module(f"{PACKAGE}.api.visitors.{name}")
    importlib.import_module(f"{PACKAGE}.api.widget.create_widget_message")
    importlib.import_module(f"{PACKAGE}.api.attachments.download_attachment")

    acme = botaz.account()
    visitor = botaz.visitor(acme)
    vid = visitor["visitorId"]
    base_url = botaz.client.get("/api/openapi.json").json()["servers"][0]["url"]
    agent = client_module.AuthenticatedClient(base_url=base_url, token=acme.token)

    # POST /api/messages, GET, PUT, DELETE: the seed's message calls.
    sent = messages.create_message.sync(client=agent, body=models.MessageCreate(
        user_id=acme.agent_id, visitor_id=vid, text="Hello from a generated client"))
    assert isinstance(sent, models.Message), sent
    assert sent.text == "Hello from a generated client" and sent.visitor_id == vid
    got = messages.get_message.sync(sent.field_id, client=agent)
    assert isinstance(got, models.Message) and got.field_id == sent.field_id
    edited = messages.update_message.sync(sent.field_id, client=agent,
                                          body=models.MessageEdit(text="Edited"))
    assert isinstance(edited, models.Message) and edited.text == "Edited"
    assert botaz.client.get(f"/api/messages/{sent.field_id}", headers=acme.headers).json()["text"] == "Edited"
    deleted = messages.delete_message.sync(sent.field_id, client=agent)
    assert isinstance(deleted, models.Message) and deleted.field_id == sent.field_id

    # An error parses to the declared Error model, with the status code alongside.
    missing = messages.get_message.sync_detailed(sent.field_id, client=agent)
    assert missing.status_code == 404
    assert isinstance(missing.parsed, models.Error)
    assert missing.parsed.status == "error" and missing.parsed.message
    unauthorized = messages.get_message.sync_detailed(
        sent.field_id, client=client_module.AuthenticatedClient(base_url=base_url, token="wrong"))
    assert unauthorized.status_code == 401 and isinstance(unauthorized.parsed, models.Error)

    # GET and PUT /api/visitors/{id}.
    found = visitors.get_visitor.sync(vid, client=agent)
    assert isinstance(found, models.Visitor) and found.field_id == vid
    changed = visitors.update_visitor.sync(vid, client=agent, body=models.VisitorEdit(
        name="Anar", email="anar@example.com"))
    assert isinstance(changed, models.Visitor), changed
    assert changed.name == "Anar" and changed.email == "anar@example.com"

    # A list with a limit: one message per page, the cursor leading to the next.
    for text in ("one", "two"):
        botaz.send(acme, vid, text)
    page = visitors.list_visitor_messages.sync(vid, client=agent, limit=1)
    assert isinstance(page, models.MessagePage) and len(page.items) == 1
    assert page.items[0].text == "two" and isinstance(page.next_, str)
    rest = visitors.list_visitor_messages.sync(vid, client=agent, limit=1, cursor=page.next_)
    assert [m.text for m in rest.items] == ["one"]
    too_many = visitors.list_visitor_messages.sync_detailed(vid, client=agent, limit=1000)
    assert too_many.status_code == 400 and isinstance(too_many.parsed, models.Error)

    # The visitor's side, with its own bearer token.
    widget = client_module.AuthenticatedClient(base_url=base_url, token=visitor["visitorToken"])
    said = api["widget"].create_widget_message.sync(
        client=widget, body=models.WidgetMessageCreate(text="Hi from the widget"))
    assert isinstance(said, models.Message) and said.text == "Hi from the widget"

    # A file up (raw bytes, the name in X-Filename) and down again.
    upload = visitors.upload_visitor_attachment.sync(
        vid, client=agent, x_filename="notes.txt",
        body=from_types.File(payload=io.BytesIO(b"plain text\n"), file_name="notes.txt"))
    assert isinstance(upload, models.Message), upload
    attachment_id = upload.attachment.to_dict()["id"]
    assert upload.attachment.to_dict()["type"] == "text/plain"
    down = api["attachments"].download_attachment.sync(attachment_id, client=agent)
    assert isinstance(down, from_types.File) and down.payload.read() == b"plain text\n"
