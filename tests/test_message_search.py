"""The inbox's message search (GET /api/conversations?q=) over the messages' full-text index.

Runs on SQLite and, with BOTAZ_TEST_DATABASE_URL, on PostgreSQL: the same assertions hold on both.
"""

from __future__ import annotations

import asyncio

from botaz.chat import textsearch
from botaz.store import Store, repo
from botaz.store.db import open_database
from botaz.store.repo import SearchWords
from tests.conftest import _run, schema_before
from tests.test_sockets import vheaders

TEXTS = {
    "schwa": "Şəki filialında ödəniş",
    "turkic": "İSTANBUL ünvanı ılıq",
    "upper": "ÇATDIRILMA GECİKİR, ĞƏMZƏ ÖZÜ ÜZR İSTƏDİ",
    "underscore": "fayl adı report_2024.pdf",
    "percent": "endirim 50% oldu",
    "backslash": r"yol C:\Users\nigar",
    "quotes": 'dedi "salam" OR NEAR qiymət*',
    "plain": "reportXYZ 500 oldu",
}


def search(botaz, account, q: str) -> set[str]:
    """The visitors found, checked to be the same, in the same order, by the store's plans:
    through the indexes (rare words), and by checking the newest visitors one by one (common
    words; pages of one, so that each page is served by that check when it can be)."""
    def listing(limit: int) -> list[str]:
        ids, cursor = [], None
        while True:
            r = botaz.client.get("/api/conversations", headers=account.headers,
                                 params={"q": q, "limit": limit, **({"cursor": cursor} if cursor else {})})
            assert r.status_code == 200, (q, r.text)
            ids += [item["visitor"]["_id"] for item in r.json()["items"]]
            cursor = r.json()["next"]
            if not cursor:
                return ids

    indexed = listing(100)
    saved, repo.SEARCH_CAP = repo.SEARCH_CAP, 0  # the server runs in this process
    try:
        checked = listing(1)
    finally:
        repo.SEARCH_CAP = saved
    assert indexed == checked, q
    return set(indexed)


def test_search_folds_azerbaijani_and_treats_symbols_as_text(botaz) -> None:
    acme, other = botaz.account(), botaz.account("Other")
    ids = {}
    for key, text in TEXTS.items():
        v = botaz.visitor(acme)
        r = botaz.client.post("/widget/v1/messages", headers=vheaders(v), json={"text": text})
        assert r.status_code == 201, r.text
        ids[key] = v["visitorId"]
    stranger = botaz.visitor(other)
    botaz.client.post("/widget/v1/messages", headers=vheaders(stranger), json={"text": TEXTS["schwa"]})

    def found(q: str) -> set[str]:
        return {k for k, vid in ids.items() if vid in search(botaz, acme, q)}

    # Case and diacritics fold alike in queries and texts, Turkic I/ı/İ/i included.
    for q in ("ŞƏKİ", "şəki", "seki", "SEKI", "Şeki ödəniş", "odenis", "filial"):
        assert found(q) == {"schwa"}, q
    for q in ("istanbul", "İstanbul", "ISTANBUL", "ıstanbul", "ILIQ", "iliq", "Ünvan"):
        assert found(q) == {"turkic"}, q
    for q in ("çatdırılma", "CATDIRILMA", "gecikir", "ğəmzə", "GEMZE", "özü", "OZU", "üzr", "istədi"):
        assert found(q) == {"upper"}, q
    # Every word must be in one message; earlier words whole, the last one a prefix.
    assert found("Şəki ödən") == {"schwa"}
    assert found("Şək ödəniş") == set()  # "şək" is not a whole word of the message
    assert found("Şəki banka") == set()
    assert found("report") == {"underscore", "plain"}  # report_2024 is two words; reportXYZ a prefix
    # `_`, `%` and `\` are text, never wildcards: they separate words as in the messages.
    assert found("report_2024") == {"underscore"}
    assert found("report_") == {"underscore", "plain"}
    assert found("50%") == {"percent", "plain"}  # "50" prefixes "500" too
    assert found("50% oldu") == {"percent"}  # earlier words are whole words: not "500"
    assert found("endirim 50%") == {"percent"}
    assert found(r"C:\Users") == {"backslash"}
    assert found(r"users\nigar") == {"backslash"}
    for q in ("%", "_", "\\", "%%", "_ _", '"', "*", "-", "'", "''", ";"):
        assert found(q) == set(), q  # nothing to look for in messages, and no error
    # FTS operators are words like any other.
    assert found('"salam" OR') == {"quotes"}
    assert found("NEAR qiymət*") == {"quotes"}
    assert found('salam" OR "seki') == set()
    assert found("-salam") == {"quotes"}
    assert found("OR") == {"quotes"}
    assert found("NOT") == set()
    assert found('qiymət"') == {"quotes"}
    # Another account's messages are never found.
    assert stranger["visitorId"] not in search(botaz, acme, "şəki")


def test_name_and_email_match_by_their_words(botaz) -> None:
    acme = botaz.account()
    a, b, c, d = (botaz.visitor(acme) for _ in range(4))
    for v, name, email in ((a, "Nigar_Aliyeva", "n_a@example.com"), (b, "NigarXAliyeva", "nxa@example.com"),
                           (c, "100% Le\\yla", "leyla@example.com"), (d, "ŞƏHLA Əliyeva", "sehla@mail.az")):
        r = botaz.client.put(f"/api/visitors/{v['visitorId']}", headers=acme.headers,
                             json={"name": name, "email": email})
        assert r.status_code == 200, r.text
        botaz.send(acme, v["visitorId"], "salam")
    found = lambda q: search(botaz, acme, q)
    assert found("nigar_aliyeva") == {a["visitorId"]}  # `_` is not a one-character wildcard
    assert found("nigar") == {a["visitorId"], b["visitorId"]}
    assert found("n_a@") == {a["visitorId"]}
    assert found("100%") == {c["visitorId"]}
    assert found("le\\yla") == {c["visitorId"]}
    for q in ("%", "_", "\\", "%_%"):
        assert found(q) == set(), q  # never "anything"
    for q in ("şəhla", "SEHLA", "şehla əliy", "Əliyeva", "sehla@mail.az", "MAIL.AZ"):
        assert found(q) == {d["visitorId"]}, q
    assert found("aliyeva") == {a["visitorId"]}  # Ə folds to E, not to A
    assert found("salam") == {a["visitorId"], b["visitorId"], c["visitorId"], d["visitorId"]}
    # A new name replaces the old one's words.
    botaz.client.put(f"/api/visitors/{d['visitorId']}", headers=acme.headers, json={"name": "Leyla"})
    assert found("şəhla") == {d["visitorId"]}  # still in the email
    assert found("əliyeva") == set()
    botaz.client.put(f"/api/visitors/{d['visitorId']}", headers=acme.headers, json={"email": None})
    assert found("şəhla") == set() and d["visitorId"] in found("leyla")


def test_edit_delete_and_erase_keep_the_index_in_step(botaz) -> None:
    acme = botaz.account()
    v, w = botaz.visitor(acme), botaz.visitor(acme)
    botaz.client.post("/widget/v1/messages", headers=vheaders(v), json={"text": "salam"})
    botaz.client.post("/widget/v1/messages", headers=vheaders(w), json={"text": "salam"})
    m = botaz.send(acme, v["visitorId"], "Sifarişiniz yoldadır")
    assert search(botaz, acme, "sifariş") == {v["visitorId"]}
    r = botaz.client.put(f"/api/messages/{m['_id']}", headers=acme.headers,
                           json={"text": "Bağlamanız çatdırıldı"})
    assert r.status_code == 200, r.text
    assert search(botaz, acme, "sifariş") == set()
    assert search(botaz, acme, "baglamaniz catdir") == {v["visitorId"]}
    # Editing twice leaves no trace of the middle text either.
    botaz.client.put(f"/api/messages/{m['_id']}", headers=acme.headers, json={"text": "Təşəkkürlər"})
    assert search(botaz, acme, "bağlama") == set() and search(botaz, acme, "tesekkur") == {v["visitorId"]}
    assert botaz.client.delete(f"/api/messages/{m['_id']}", headers=acme.headers).status_code == 200
    assert search(botaz, acme, "tesekkur") == set()
    assert search(botaz, acme, "salam") == {v["visitorId"], w["visitorId"]}
    botaz.send(acme, w["visitorId"], "Gizli məlumat")
    botaz.client.put(f"/api/visitors/{w['visitorId']}", headers=acme.headers, json={"name": "Gizlinc Ad"})
    assert search(botaz, acme, "gizli") == {w["visitorId"]}
    assert search(botaz, acme, "gizlinc") == {w["visitorId"]}
    assert botaz.client.delete(f"/api/visitors/{w['visitorId']}", headers=acme.headers).status_code == 200
    assert search(botaz, acme, "gizli") == set() and search(botaz, acme, "salam") == {v["visitorId"]}
    assert search(botaz, acme, "gizlinc") == set()
    # The index holds no words of the erased or deleted messages (checked in the store).

    async def words_left() -> set[str]:
        store = await Store.open(botaz.database_url)
        try:
            if store.dialect == "sqlite":
                # The index's own vocabulary, as FTS5 reports it.
                terms = set()
                for table in ("messages_fts", "visitors_fts"):
                    await store.db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{table}_vocab "
                                           f"USING fts5vocab(main, {table}, 'row')")
                    rows = await store.db.fetchall(f"SELECT term FROM temp.{table}_vocab")
                    terms |= {r["term"] for r in rows}
                return terms
            rows = await store.db.fetchall("SELECT search FROM messages UNION ALL "
                                           "SELECT search FROM visitors")
            return {w for r in rows for w in r["search"].split()}
        finally:
            await store.close()

    left = asyncio.run(words_left())
    assert not {"gizli", "gizlinc", "tesekkurler", "sifarisiniz", "baglamaniz"} & left
    assert "salam" in left


def test_the_migration_indexes_existing_messages(database_url, tmp_path) -> None:
    """Migration 19 on a database made before it: existing messages become searchable, in
    batches, deleted ones not."""
    from tests.conftest import scratch_database

    url, drop = scratch_database(database_url, tmp_path, "premigration")

    async def run() -> None:
        db = await open_database(url)
        try:
            async with db.transaction() as tx:
                await schema_before(tx, 19)
                await tx.execute("INSERT INTO accounts (id, name, site_key, created_at) "
                                 "VALUES ('acc', 'Acme', 'site', 0)")
                for i in range(1203):  # more than two batches
                    await tx.execute(
                        "INSERT INTO visitors (id, account_id, token_hash, added_at, last_activity_at, "
                        "conversation_at, name) VALUES (?, 'acc', ?, 1, ?, 1, ?)",
                        (f"v{i}", f"h{i}", i, "Əli ŞİRİN" if i == 5 else None))
                    text = "Şəki İLIQ" if i % 400 == 7 else f"söz{i} message"
                    await tx.execute(
                        "INSERT INTO messages (id, account_id, visitor_id, user_id, text, sent_at, "
                        "deleted_at) VALUES (?, 'acc', ?, NULL, ?, 1, ?)",
                        (f"m{i}", f"v{i}", text, 5 if i == 1007 else None))
        finally:
            await db.close()
        store = await Store.open(url)  # migrates
        try:
            async def visitors(q: str) -> set[str]:
                found = textsearch.message_query_words(q)
                words = SearchWords(textsearch.fts5_all(found), textsearch.tsquery_all(found),
                                    textsearch.like_patterns(found))
                found_by = []
                for cap in (repo.SEARCH_CAP, 0):
                    saved, repo.SEARCH_CAP = repo.SEARCH_CAP, cap
                    try:
                        rows = await store.list_conversations("acc", status=None, assignee=None,
                                                              unassigned=False, query=q, before=None,
                                                              limit=2000, search=words)
                    finally:
                        repo.SEARCH_CAP = saved
                    found_by.append({r["id"] for r in rows})
                assert found_by[0] == found_by[1], q
                return found_by[0]

            assert await visitors("şəki") == {"v7", "v407", "v807"}  # v1207 does not exist
            assert await visitors("ŞƏKİ ılıq") == {"v7", "v407", "v807"}
            assert await visitors("soz1202") == {"v1202"}
            assert await visitors("soz1007") == set()  # deleted
            assert await visitors("əli şirin") == {"v5"}
            assert await visitors("message") == {f"v{i}" for i in range(1203)} - {
                "v7", "v407", "v807", "v1007"}  # every batch
        finally:
            await store.close()

    try:
        asyncio.run(run())
    finally:
        if drop:
            drop(url)


def test_messages_are_indexed_with_their_batch_and_a_rollback_leaves_no_word(botaz) -> None:
    """SQLite indexes a batch's messages at its COMMIT (store/db.py): concurrent writes, one of
    them rolled back, and a message edited and another deleted before the batch commits."""
    acme = botaz.account()
    v = botaz.visitor(acme)
    agent = acme.agent_id
    botaz.client.post("/widget/v1/messages", headers=vheaders(v), json={"text": "salam"})

    async def batch(chat) -> None:
        from botaz.ids import new_id, now_ms

        async def write(text: str, fail: bool = False, edit: str | None = None,
                        delete: bool = False) -> None:
            async with chat.change() as change:
                mid = new_id()
                await chat.store.insert_message(
                    {"id": mid, "account_id": acme.id, "visitor_id": v["visitorId"],
                     "user_id": agent, "text": text, "sent_at": now_ms(),
                     "search": textsearch.index_text(text)}, conn=change.tx)
                if edit is not None:
                    await chat.store.edit_message(mid, edit, textsearch.index_text(edit), now_ms(),
                                                  conn=change.tx)
                if delete:
                    await chat.store.delete_message(mid, now_ms(), conn=change.tx)
                if fail:
                    raise RuntimeError("rolled back")

        # Started in one pass of the loop, the five share one batch (one COMMIT).
        results = await asyncio.gather(
            write("birinci qutu"), write("ikinci qutu"), write("silinən qutu", fail=True),
            write("köhnə söz", edit="yeni söz"), write("itən söz", delete=True),
            return_exceptions=True)
        assert [type(r).__name__ for r in results] == ["NoneType"] * 2 + ["RuntimeError"] + ["NoneType"] * 2
        if chat.store.dialect == "sqlite":
            await chat.store.db.execute(
                "INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')")

    asyncio.run(_run(botaz.database_url, batch))
    assert search(botaz, acme, "qutu") == {v["visitorId"]}
    assert search(botaz, acme, "silinen") == set()
    assert search(botaz, acme, "yeni") == {v["visitorId"]}
    assert search(botaz, acme, "kohne") == set() and search(botaz, acme, "iten") == set()
    r = botaz.client.get(f"/api/visitors/{v['visitorId']}/messages", headers=acme.headers)
    assert sorted(m["text"] for m in r.json()["items"]) == ["birinci qutu", "ikinci qutu", "salam",
                                                            "yeni söz"]  # the deleted one is hidden
