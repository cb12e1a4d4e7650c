"""v2 groundwork: agents' preferences, reply addresses of conversations, mail settings."""

from __future__ import annotations

import asyncio

from botaz.chat.context import Chat
from botaz.chat.replies import reply_address, visitor_for_reply
from botaz.config import Settings
from botaz.events import EventBus
from botaz.store import Store


def test_preferences_default_change_and_refuse_bad_values(botaz) -> None:
    acme = botaz.account()
    r = botaz.client.get("/auth/me/preferences", headers=acme.headers)
    assert r.status_code == 200 and r.json()["emailAlerts"] is True
    r = botaz.client.put("/auth/me/preferences", headers=acme.headers, json={"emailAlerts": False})
    assert r.status_code == 200 and r.json()["emailAlerts"] is False
    assert botaz.client.get("/auth/me/preferences", headers=acme.headers).json()["emailAlerts"] is False
    r = botaz.client.put("/auth/me/preferences", headers=acme.headers, json={"emailAlerts": "no"})
    assert r.status_code == 400 and r.json() == {"status": "error",
                                                 "message": "emailAlerts must be true or false."}
    r = botaz.client.put("/auth/me/preferences", headers=acme.headers, json={"colour": "red"})
    assert r.status_code == 400 and "colour" in r.json()["message"]
    assert botaz.client.get("/auth/me/preferences").status_code == 401
    other = botaz.account()
    assert botaz.client.get("/auth/me/preferences", headers=other.headers).json()["emailAlerts"] is True


def test_locale_preference_is_validated(botaz) -> None:
    """The dashboard's language (null: the browser's)."""
    acme = botaz.account()
    assert botaz.client.get("/auth/me/preferences", headers=acme.headers).json()["locale"] is None
    r = botaz.client.put("/auth/me/preferences", headers=acme.headers, json={"locale": "de"})
    assert r.status_code == 400
    assert r.json() == {"status": "error", "message": "locale must be one of: az, en, ru, tr."}
    r = botaz.client.put("/auth/me/preferences", headers=acme.headers, json={"locale": 1})
    assert r.status_code == 400 and "locale" in r.json()["message"]
    r = botaz.client.put("/auth/me/preferences", headers=acme.headers, json={"locale": "tr"})
    assert r.status_code == 200 and r.json()["locale"] == "tr"
    assert botaz.client.get("/auth/me/preferences", headers=acme.headers).json()["locale"] == "tr"


def test_reply_address_is_stable_unguessable_and_found_again(botaz) -> None:
    acme = botaz.account()
    first = botaz.visitor(acme)["visitorId"]
    second = botaz.visitor(acme)["visitorId"]

    async def run(chat: Chat) -> None:
        a1 = await reply_address(chat, first)
        a2 = await reply_address(chat, first)
        b = await reply_address(chat, second)
        assert a1 == a2 and a1 != b
        local, domain = a1.split("@")
        assert domain == "mail.example.org" and len(local) == 24
        assert (await visitor_for_reply(chat, local.upper()))["id"] == first
        assert await visitor_for_reply(chat, "x" * 24) is None
        assert await visitor_for_reply(chat, "nope") is None

    async def main() -> None:
        store = await Store.open(botaz.database_url)
        try:
            await run(Chat(store, EventBus(), Settings(database_url=botaz.database_url,
                                                       reply_domain="mail.example.org")))
        finally:
            await store.close()

    asyncio.run(main())


def test_mail_settings_from_environment() -> None:
    s = Settings.from_env({"BOTAZ_SMTP_URL": "smtp://u:p@127.0.0.1:2525", "BOTAZ_SMTP_PORT": "2526",
                           "BOTAZ_MAIL_FROM": "help@example.com", "BOTAZ_EMAIL_DELAY_S": "5",
                           "BOTAZ_ALERT_DELAY_S": "7.5"})
    assert (s.smtp_url, s.smtp_port, s.mail_from) == ("smtp://u:p@127.0.0.1:2525", 2526, "help@example.com")
    assert (s.email_delay_s, s.alert_delay_s) == (5.0, 7.5)
    assert Settings().mail_domain() == "localhost"
    assert Settings(public_url="https://chat.example.com").mail_domain() == "chat.example.com"
    assert Settings(public_url="https://chat.example.com", reply_domain="r.example.com").mail_domain() == "r.example.com"


def test_conversation_links_are_signed_expire_and_die_with_ban_or_erase(botaz) -> None:
    from botaz.chat.links import conversation_link, link_token, visitor_from_link

    acme = botaz.account()
    kept = botaz.visitor(acme)["visitorId"]
    banned = botaz.visitor(acme)["visitorId"]
    erased = botaz.visitor(acme)["visitorId"]
    botaz.send(acme, kept, "hi")

    async def run(chat: Chat) -> None:
        url = await conversation_link(chat, kept)
        assert url.startswith("https://chat.example.com/c/")
        token = url.rsplit("/", 1)[1]
        assert (await visitor_from_link(chat, token))["id"] == kept
        forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
        assert await visitor_from_link(chat, forged) is None
        assert await visitor_from_link(chat, "not-a-token") is None
        assert await visitor_from_link(chat, await link_token(chat, kept, ttl_s=-1)) is None
        ban_token = await link_token(chat, banned)
        erase_token = await link_token(chat, erased)
        assert await visitor_from_link(chat, ban_token) is not None
        await chat.store.update_visitor(banned, {"banned": 1})
        async with chat.store.transaction() as tx:
            await chat.store.erase_visitor(erased, tx)
        assert await visitor_from_link(chat, ban_token) is None
        assert await visitor_from_link(chat, erase_token) is None

    async def main() -> None:
        store = await Store.open(botaz.database_url)
        try:
            await run(Chat(store, EventBus(), Settings(database_url=botaz.database_url,
                                                       public_url="https://chat.example.com")))
        finally:
            await store.close()

    asyncio.run(main())
