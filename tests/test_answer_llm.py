"""The answer bot's optional LLM against a local OpenAI-compatible server the test starts: what it
is sent (this account's articles only, the key), the answer streaming into the conversation,
and the fallback to the retrieval answer when the endpoint fails, declines or is too slow."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import httpx
import pytest

from botaz.config import Settings
from tests.conftest import Botaz, ServerThread
from tests.test_bots import conversation, visitor_says, wait_messages


class FakeLLM:
    """Streams `chunks` (each after `delay` seconds) as chat-completion deltas, or fails."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.chunks: list[str] = []
        self.delay = 0.0
        self.status = 200
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append({"path": self.path, "body": body,
                                      "authorization": self.headers.get("Authorization")})
                if fake.status != 200:
                    self.send_response(fake.status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                try:
                    for piece in fake.chunks:
                        time.sleep(fake.delay)
                        chunk = {"choices": [{"index": 0, "delta": {"content": piece}}]}
                        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                        self.wfile.flush()
                    self.wfile.write(b"data: [DONE]\n\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeLLM]:
    fake = FakeLLM()
    yield fake
    fake.server.shutdown()


@pytest.fixture(scope="module")
def llm_botaz(database_url: str, fake_llm: FakeLLM, tmp_path_factory) -> Iterator[Botaz]:
    settings = Settings(database_url=database_url, rate_limits=False,
                        data_dir=str(tmp_path_factory.mktemp("data")), llm_url=fake_llm.url,
                        llm_model="tiny-model", llm_api_key="sk-test-123", llm_timeout_s=6.0)
    with ServerThread(settings) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        yield Botaz(server.url, database_url, client, server)


def setup(botaz) -> Any:
    acme = botaz.account()
    for title, body in [("Çatdırılma müddəti", "Bakı daxilində sifarişlər 1-2 iş günü ərzində çatdırılır."),
                        ("Ödəniş", "Kartla və nağd ödəniş qəbul edirik.")]:
        botaz.client.post("/api/articles", headers=acme.headers,
                          json={"title": title, "body": body, "locale": "az"})
    botaz.client.put("/api/bot", headers=acme.headers, json={"answerBot": True})
    return acme


def test_llm_writes_the_answer_streaming_from_this_accounts_articles(llm_botaz, fake_llm) -> None:
    other = llm_botaz.account()
    llm_botaz.client.post("/api/articles", headers=other.headers, json={
        "title": "Çatdırılma", "body": "SECRET of another account: çatdırılma pulsuzdur.", "locale": "az"})
    acme = setup(llm_botaz)
    fake_llm.requests.clear()
    fake_llm.status, fake_llm.delay = 200, 1.1
    fake_llm.chunks = ["Bakı daxilində sifarişiniz ", "1-2 iş günü ərzində ", "çatdırılır. ",
                       "Uğurlar!"]
    v = llm_botaz.visitor(acme)
    visitor_says(llm_botaz, v, "Bakıya çatdırılma neçə gün çəkir?")
    seen: list[str] = []
    deadline = time.monotonic() + 15
    final = None
    while time.monotonic() < deadline:
        msgs = conversation(llm_botaz, acme, v["visitorId"])
        if len(msgs) > 1:
            if not seen or seen[-1] != msgs[1]["text"]:
                seen.append(msgs[1]["text"])
            if "/help/" in msgs[1]["text"]:
                final = msgs[1]
                break
        time.sleep(0.05)
    assert final is not None, seen
    url = f"{llm_botaz.url}/help/{acme.site_key}/chatdirilma-muddeti"
    assert final["text"] == ("Bakı daxilində sifarişiniz 1-2 iş günü ərzində çatdırılır. Uğurlar!"
                             f"\n\nƏtraflı: Çatdırılma müddəti {url}")
    assert final["bot"] is True and len(seen) >= 2  # shown while it was being written
    assert seen[0] != final["text"] and final["text"].startswith(seen[0])
    assert len(conversation(llm_botaz, acme, v["visitorId"])) == 2  # one message, edited

    [sent] = fake_llm.requests
    assert sent["path"] == "/v1/chat/completions" and sent["authorization"] == "Bearer sk-test-123"
    body = sent["body"]
    assert body["model"] == "tiny-model" and body["stream"] is True
    system, user = body["messages"]
    assert user == {"role": "user", "content": "Bakıya çatdırılma neçə gün çəkir?"}
    assert url in system["content"] and "1-2 iş günü ərzində çatdırılır" in system["content"]
    assert "SECRET" not in json.dumps(body)  # never another account's articles


@pytest.mark.parametrize("failure", ["status", "declines", "slow"])
def test_llm_failure_falls_back_to_the_retrieval_answer(llm_botaz, fake_llm, failure) -> None:
    acme = setup(llm_botaz)
    fake_llm.status, fake_llm.delay, fake_llm.chunks = 200, 0.0, ["NO_", "ANSWER"]
    if failure == "status":
        fake_llm.status = 500
    elif failure == "slow":
        fake_llm.delay, fake_llm.chunks = 2.5, ["Bakı ", "daxilində ", "sifarişiniz ", "gəlir"]
    v = llm_botaz.visitor(acme)
    visitor_says(llm_botaz, v, "Bakıya çatdırılma neçə gün çəkir?")
    msgs = wait_messages(llm_botaz, acme, v["visitorId"], 2, timeout=10)
    deadline = time.monotonic() + 10
    while "/help/" not in msgs[1]["text"] and time.monotonic() < deadline:
        time.sleep(0.1)
        msgs = conversation(llm_botaz, acme, v["visitorId"])
    url = f"{llm_botaz.url}/help/{acme.site_key}/chatdirilma-muddeti"
    assert msgs[1]["text"] == ("Bakı daxilində sifarişlər 1-2 iş günü ərzində çatdırılır."
                               f"\n\nƏtraflı: Çatdırılma müddəti {url}")
    # Unrelated questions never reach the LLM: no article, no call, no answer.
    before = len(fake_llm.requests)
    visitor_says(llm_botaz, v, "Do you sell cars?")
    time.sleep(0.8)
    assert len(conversation(llm_botaz, acme, v["visitorId"])) == 3
    assert len(fake_llm.requests) == before
