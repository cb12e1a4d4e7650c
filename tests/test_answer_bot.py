"""The answer bot over HTTP on both databases: answers from articles with their url, stays silent
when no article answers, hands off on "Talk to a person", respects its off switch."""

from __future__ import annotations

import time

from tests.test_bots import conversation, visitor_says, wait_messages


def setup(botaz, **bot) -> tuple:
    acme = botaz.account()
    for title, body, locale in [
        ("Çatdırılma müddəti", "Bakı daxilində sifarişlər 1-2 iş günü ərzində çatdırılır.\n\n"
                               "Regionlara çatdırılma 3-5 gün çəkir.", "az"),
        ("Returning an item", "You can return any unused item within 14 days.\n\n"
                              "Start the return from My orders.", "en"),
    ]:
        r = botaz.client.post("/api/articles", headers=acme.headers,
                              json={"title": title, "body": body, "locale": locale})
        assert r.status_code == 201, r.text
    r = botaz.client.put("/api/bot", headers=acme.headers, json={"answerBot": True, **bot})
    assert r.status_code == 200, r.text
    return acme, r.json()


def quiet(botaz, acme, vid: str, count: int) -> list[dict]:
    time.sleep(0.8)  # the bot answers in its own task: give it time to (wrongly) speak
    msgs = conversation(botaz, acme, vid)
    assert len(msgs) == count, [m["text"] for m in msgs]
    return msgs


def test_answers_with_the_article_url_and_stays_silent_otherwise(botaz) -> None:
    acme, bot = setup(botaz)
    assert bot["answerBot"] is True and bot["answerThreshold"] == 50 and bot["agentId"]
    assert bot["enabled"] is False  # the rule bot stays off: only articles answer
    v = botaz.visitor(acme)
    vid = v["visitorId"]
    visitor_says(botaz, v, "BAKI daxilində sifariş neçə günə ÇATDIRILIR?")
    msgs = wait_messages(botaz, acme, vid, 2)
    reply = msgs[1]
    assert reply["userId"] == bot["agentId"] and reply["bot"] is True
    assert "1-2 iş günü" in reply["text"]  # quotes the passage that answers
    assert f"{botaz.url}/help/{acme.site_key}/chatdirilma-muddeti" in reply["text"]
    assert "Ətraflı" in reply["text"]

    visitor_says(botaz, v, "Do you sell cars?")
    quiet(botaz, acme, vid, 3)  # nothing invented

    visitor_says(botaz, v, "how do I return an unused item?")
    msgs = wait_messages(botaz, acme, vid, 5)
    assert msgs[4]["text"].endswith(f"/help/{acme.site_key}/returning-an-item")

    visitor_says(botaz, v, "That helped")
    msgs = wait_messages(botaz, acme, vid, 7)
    assert msgs[6]["text"] == "Glad it helped!"

    visitor_says(botaz, v, "Talk to a person")
    msgs = wait_messages(botaz, acme, vid, 9)
    assert "Nobody from our team is available" in msgs[8]["text"]  # the rule bot's hand-off reply
    # Handed off: the bots keep quiet while a human takes over.
    visitor_says(botaz, v, "Çatdırılma neçə gün çəkir?")
    quiet(botaz, acme, vid, 10)


def test_off_switch_threshold_and_rule_bot_fallback(botaz) -> None:
    acme, bot = setup(botaz, enabled=True, greeting="",
                      faq=[{"keywords": ["cars"], "answer": "We sell no cars."}])
    v = botaz.visitor(acme)
    vid = v["visitorId"]
    visitor_says(botaz, v, "Do you sell cars?")  # no article: the rule bot answers
    msgs = wait_messages(botaz, acme, vid, 2)
    assert msgs[1]["text"] == "We sell no cars."

    r = botaz.client.put("/api/bot", headers=acme.headers, json={"answerBot": False, "enabled": False})
    assert r.json()["answerBot"] is False
    visitor_says(botaz, v, "how do I return an unused item?")
    quiet(botaz, acme, vid, 3)

    # A threshold of 100 answers only when every word of the question is in the article.
    botaz.client.put("/api/bot", headers=acme.headers, json={"answerBot": True, "answerThreshold": 100})
    visitor_says(botaz, v, "how do I return an unused jacket?")
    quiet(botaz, acme, vid, 4)
    visitor_says(botaz, v, "return unused item")
    msgs = wait_messages(botaz, acme, vid, 6)
    assert "/help/" in msgs[5]["text"]

    for value in (0, 101, "high"):
        r = botaz.client.put("/api/bot", headers=acme.headers, json={"answerThreshold": value})
        assert r.status_code == 400 and "answerThreshold" in r.json()["message"]
