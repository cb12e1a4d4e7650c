"""Every SQL statement botaz runs, as methods named after what they do.

Methods take an optional `conn` so that a domain action can group several writes in one
transaction (`async with store.transaction() as tx: await store.insert_x(..., conn=tx)`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable, Iterable, Sequence

import orjson

from ..ids import new_id
from .articles import ArticleRepo
from .images import ImageRepo
from .db import Conn, Database, Row, open_database
from .migrations import migrate


def attribute_text(value: Any) -> str:
    """An attribute's value as filters compare it: text as it is, true/false, numbers in JSON."""
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def attribute_rows(raw: str | None) -> list[tuple[str, str]]:
    """(key, value text) of a visitor's attributes JSON; null values are not stored."""
    data = orjson.loads(raw) if raw else {}
    return [(k, attribute_text(v)) for k, v in data.items() if v is not None]


# The visitors whose name and email, or one of whose messages, hold every word of a search
# (deleted messages have no words). Each yields `vid`; parameters: the match, the account.
MESSAGE_MATCH = {
    "sqlite": "SELECT m.visitor_id AS vid FROM messages_fts f JOIN messages m ON m.seq = f.rowid "
              "WHERE messages_fts MATCH ? AND m.account_id = ?",
    "postgresql": "SELECT m.visitor_id AS vid FROM messages m WHERE array_to_tsvector("
                  "string_to_array(m.search, ' ')) @@ CAST(? AS tsquery) AND m.account_id = ?",
}
VISITOR_MATCH = {
    "sqlite": "SELECT w.id AS vid FROM visitors_fts f JOIN visitors w ON w.seq = f.rowid "
              "WHERE visitors_fts MATCH ? AND w.account_id = ?",
    "postgresql": "SELECT w.id AS vid FROM visitors w WHERE array_to_tsvector("
                  "string_to_array(w.search, ' ')) @@ CAST(? AS tsquery) AND w.account_id = ?",
}
SEARCH_CAP = 2000
SEARCH_WINDOW = 2000


@dataclass(frozen=True)
class SearchWords:
    """An inbox search, built by botaz.chat.textsearch: the same words as an FTS5 query, a
    tsquery, and LIKE patterns over the space-separated words."""

    fts5: str
    tsquery: str
    likes: list[str]


MESSAGE_COLUMNS = ("seq, id, account_id, visitor_id, user_id, text, seen, sent_at, edited_at, deleted_at, "
                   "attachment, by_bot")
VISITOR_COLUMNS = (
    "seq, id, account_id, user_agent, app_name, app_version, platform, cookie_enabled, banned, "
    "added_at, name, email, phone, notes, preform_filled, last_online, show_bot_messages, "
    "status, assignee_id, last_activity_at, bot_muted_until, conversation_at, visit_started_at"
)
AGENT_COLUMNS = ("seq, id, account_id, name, email, role, is_bot, created_at, last_online, "
                 "availability, away_auto, max_open")
VISITOR_FIELDS = {"name", "email", "phone", "notes", "banned", "preform_filled", "last_online",
                  "show_bot_messages", "status", "assignee_id", "last_activity_at",
                  "bot_muted_until", "visit_started_at", "search"}


class Store(ArticleRepo, ImageRepo):
    def __init__(self, db: Database) -> None:
        self.db = db
        self.dialect = db.dialect

    @classmethod
    async def open(cls, url: str, run_migrations: bool = True) -> "Store":
        db = await open_database(url)
        if run_migrations:
            await migrate(db)
        return cls(db)

    async def close(self) -> None:
        await self.db.close()

    def transaction(self) -> contextlib.AbstractAsyncContextManager[Conn]:
        return self.db.transaction()

    async def check_writable(self) -> None:
        """What /readyz asks: on SQLite a real (tiny) write, committed, since a read-only or full
        database still answers reads; on PostgreSQL a round trip."""
        if self.dialect != "sqlite":
            await self.db.fetchone("SELECT 1 AS ok")
            return
        async with self.db.transaction() as tx:
            # More pages than the largest message takes with its search words and index entries
            # (~3x its text): what a full disk refuses to a message, it refuses here too.
            await tx.execute("INSERT INTO health_checks (id, pad) VALUES (1, ?)", ("x" * 48000,))
            await tx.execute("DELETE FROM health_checks")

    # accounts

    async def insert_account(self, row: dict[str, Any], conn: Conn | None = None) -> None:
        await (conn or self.db).execute(
            "INSERT INTO accounts (id, name, site_key, settings, created_at) VALUES (?, ?, ?, ?, ?)",
            (row["id"], row["name"], row["site_key"], row.get("settings", "{}"), row["created_at"]),
        )

    async def get_account(self, account_id: str, conn: Conn | None = None) -> Row | None:
        return await (conn or self.db).fetchone("SELECT * FROM accounts WHERE id = ?", (account_id,))

    async def get_account_by_site_key(self, site_key: str) -> Row | None:
        return await self.db.fetchone("SELECT * FROM accounts WHERE site_key = ?", (site_key,))

    async def _number(self, sql: str, params: Sequence[Any] = ()) -> int:
        """The `n` of an aggregate's single row (COUNT, MAX: NULL counts as 0)."""
        row = await self.db.fetchone(sql, params)
        assert row is not None
        return int(row["n"] or 0)

    async def count_accounts(self) -> int:
        return await self._number("SELECT COUNT(*) AS n FROM accounts")

    async def first_account(self) -> Row | None:
        return await self.db.fetchone("SELECT * FROM accounts ORDER BY created_at, id LIMIT 1")

    # agents and their tokens

    async def insert_agent(self, row: dict[str, Any], conn: Conn | None = None) -> None:
        await (conn or self.db).execute(
            "INSERT INTO agents (id, account_id, name, email, password_hash, role, is_bot, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (row["id"], row["account_id"], row["name"], row["email"], row.get("password_hash"),
             row["role"], int(row.get("is_bot", False)), row["created_at"]),
        )

    async def get_agent(self, account_id: str, agent_id: str) -> Row | None:
        return await self.db.fetchone(
            f"SELECT {AGENT_COLUMNS} FROM agents WHERE id = ? AND account_id = ? AND removed_at IS NULL",
            (agent_id, account_id),
        )

    async def agent_kind(self, account_id: str, agent_id: str) -> Row | None:
        """None if not an agent of the account; else a row with is_bot."""
        return await self.db.fetchone(
            "SELECT is_bot FROM agents WHERE id = ? AND account_id = ? AND removed_at IS NULL",
            (agent_id, account_id),
        )

    async def agent_exists(self, account_id: str, agent_id: str) -> bool:
        row = await self.db.fetchone(
            "SELECT 1 AS ok FROM agents WHERE id = ? AND account_id = ? AND removed_at IS NULL",
            (agent_id, account_id),
        )
        return row is not None

    async def agent_email_taken(self, account_id: str, email: str) -> bool:
        row = await self.db.fetchone(
            "SELECT 1 AS ok FROM agents WHERE account_id = ? AND email = ?", (account_id, email)
        )
        return row is not None

    async def list_agents(self, account_id: str, before_seq: int | None, limit: int) -> list[Row]:
        if before_seq is None:
            return await self.db.fetchall(
                f"SELECT {AGENT_COLUMNS} FROM agents WHERE account_id = ? AND removed_at IS NULL "
                "ORDER BY seq DESC LIMIT ?", (account_id, limit))
        return await self.db.fetchall(
            f"SELECT {AGENT_COLUMNS} FROM agents WHERE account_id = ? AND removed_at IS NULL "
            "AND seq < ? ORDER BY seq DESC LIMIT ?", (account_id, before_seq, limit))

    async def insert_token(self, row: dict[str, Any], conn: Conn | None = None) -> None:
        await (conn or self.db).execute(
            "INSERT INTO api_tokens (id, account_id, agent_id, token_hash, label, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (row["id"], row["account_id"], row["agent_id"], row["token_hash"], row.get("label", ""),
             row["created_at"]),
        )

    async def token_principal(self, token_hash: str) -> Row | None:
        return await self.db.fetchone(
            "SELECT t.id AS token_id, t.account_id, t.agent_id, t.last_used_at, a.role, a.is_bot "
            "FROM api_tokens t "
            "JOIN agents a ON a.id = t.agent_id "
            "WHERE t.token_hash = ? AND t.revoked_at IS NULL AND a.removed_at IS NULL",
            (token_hash,),
        )

    # visitors

    async def insert_visitor(self, row: dict[str, Any], conn: Conn | None = None) -> None:
        await (conn or self.db).execute(
            "INSERT INTO visitors (id, account_id, token_hash, user_agent, app_name, app_version, "
            "platform, cookie_enabled, added_at, last_online, last_activity_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (row["id"], row["account_id"], row["token_hash"], row.get("user_agent"),
             row.get("app_name"), row.get("app_version"), row.get("platform"),
             row.get("cookie_enabled"), row["added_at"], row.get("last_online"), row["added_at"]),
        )

    async def get_visitor(self, account_id: str, visitor_id: str,
                          conn: Conn | None = None) -> Row | None:
        return await (conn or self.db).fetchone(
            f"SELECT {VISITOR_COLUMNS} FROM visitors WHERE id = ? AND account_id = ?",
            (visitor_id, account_id),
        )

    async def visitor_with_agents(self, account_id: str,
                                  visitor_id: str) -> tuple[Row, list[str]] | None:
        """A visitor and the agents who wrote to it (in the order visitor_agents gives): on
        PostgreSQL in one round trip, the agents as an array beside the row."""
        if self.dialect == "postgresql":
            row = await self.db.fetchone(
                f"SELECT {VISITOR_COLUMNS}, ARRAY(SELECT a.agent_id FROM visitor_agents a "
                "WHERE a.visitor_id = visitors.id ORDER BY a.added_at, a.agent_id) AS agent_ids "
                "FROM visitors WHERE id = ? AND account_id = ?", (visitor_id, account_id))
            return None if row is None else (row, list(row["agent_ids"]))
        row = await self.get_visitor(account_id, visitor_id)
        if row is None:
            return None
        return row, (await self.visitor_agents([visitor_id]))[visitor_id]

    async def get_visitor_any_account(self, visitor_id: str) -> Row | None:
        """For callers that learn the account from the visitor (signed links)."""
        return await self.db.fetchone(
            f"SELECT {VISITOR_COLUMNS} FROM visitors WHERE id = ?", (visitor_id,))

    async def get_visitor_by_token(self, token_hash: str) -> Row | None:
        return await self.db.fetchone(
            f"SELECT {VISITOR_COLUMNS} FROM visitors WHERE token_hash = ?", (token_hash,)
        )

    async def add_visitor_token(self, visitor_id: str, token_hash: str, at: int, keep: int) -> None:
        """One more token for a visitor (a conversation link opened); the newest `keep` stay."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO visitor_tokens (token_hash, visitor_id, created_at) VALUES (?, ?, ?)",
                (token_hash, visitor_id, at))
            await tx.execute(
                "DELETE FROM visitor_tokens WHERE visitor_id = ? AND seq NOT IN ("
                "SELECT seq FROM visitor_tokens WHERE visitor_id = ? "
                "ORDER BY seq DESC LIMIT ?)", (visitor_id, visitor_id, keep))

    async def get_visitor_by_added_token(self, token_hash: str) -> Row | None:
        return await self.db.fetchone(
            f"SELECT {VISITOR_COLUMNS} FROM visitors WHERE id = "
            "(SELECT visitor_id FROM visitor_tokens WHERE token_hash = ?)", (token_hash,))

    async def update_visitor(self, visitor_id: str, changes: dict[str, Any],
                             conn: Conn | None = None) -> None:
        unknown = set(changes) - VISITOR_FIELDS
        if unknown:
            raise ValueError(f"not visitor columns: {sorted(unknown)}")
        assignments = ", ".join(f"{column} = ?" for column in changes)
        db = conn or self.db
        reindex = "search" in changes and self.dialect == "sqlite"
        if reindex:
            await self._unindex_visitor(db, visitor_id)
        await db.execute(
            f"UPDATE visitors SET {assignments} WHERE id = ?", (*changes.values(), visitor_id)
        )
        if reindex and changes["search"]:
            await db.execute("INSERT INTO visitors_fts (rowid, search) SELECT seq, search "
                             "FROM visitors WHERE id = ?", (visitor_id,))

    async def _unindex_visitor(self, db: Conn | Database, visitor_id: str) -> None:
        # Only visitors with words are in SQLite's index (their name or email).
        if self.dialect == "sqlite":
            await db.execute("INSERT INTO visitors_fts (visitors_fts, rowid, search) "
                             "SELECT 'delete', seq, search FROM visitors WHERE id = ? AND search <> ''",
                             (visitor_id,))

    async def visitor_reply_token(self, visitor_id: str) -> str | None:
        row = await self.db.fetchone("SELECT reply_token FROM visitors WHERE id = ?", (visitor_id,))
        return row["reply_token"] if row else None

    async def set_visitor_reply_token(self, visitor_id: str, token: str) -> None:
        """Sets the reply token once; a token already set (by a racing node) is kept."""
        await self.db.execute(
            "UPDATE visitors SET reply_token = ? WHERE id = ? AND reply_token IS NULL",
            (token, visitor_id))

    async def get_visitor_by_reply_token(self, token: str) -> Row | None:
        row = await self.db.fetchone(
            f"SELECT {VISITOR_COLUMNS} FROM visitors WHERE reply_token = ?", (token,))
        if row is None:  # the address of a visitor since merged into another
            row = await self.db.fetchone(
                f"SELECT {VISITOR_COLUMNS} FROM visitors WHERE id = "
                "(SELECT visitor_id FROM visitor_reply_aliases WHERE token = ?)", (token,))
        return row

    async def agent_prefs(self, agent_id: str) -> str:
        row = await self.db.fetchone("SELECT prefs FROM agents WHERE id = ?", (agent_id,))
        return row["prefs"] if row else "{}"

    async def set_agent_prefs(self, agent_id: str, prefs: str) -> None:
        await self.db.execute("UPDATE agents SET prefs = ? WHERE id = ?", (prefs, agent_id))

    async def list_visitors(self, account_id: str, before_seq: int | None, limit: int,
                            attributes: Sequence[tuple[str, str]] = ()) -> list[Row]:
        """Newest first; with attributes, only visitors having every (key, value) of them
        (visitor_attributes_match finds each)."""
        where: list[str] = ["account_id = ?"]
        params: list[Any] = [account_id]
        if before_seq is not None:
            where.append("seq < ?")
            params.append(before_seq)
        for key, value in attributes:
            where.append("id IN (SELECT visitor_id FROM visitor_attributes "
                         "WHERE account_id = ? AND key = ? AND value = ?)")
            params += [account_id, key, value]
        return await self.db.fetchall(
            f"SELECT {VISITOR_COLUMNS} FROM visitors WHERE {' AND '.join(where)} "
            "ORDER BY seq DESC LIMIT ?", (*params, limit))

    async def start_conversation(self, visitor_id: str, at: int, conn: Conn | None = None) -> bool:
        """Marks the visitor's first message; True only for the caller that made it a conversation."""
        return await (conn or self.db).execute(
            "UPDATE visitors SET conversation_at = ? WHERE id = ? AND conversation_at IS NULL",
            (at, visitor_id)) == 1

    async def visitors_by_ids(self, account_id: str, visitor_ids: Sequence[str]) -> list[Row]:
        if not visitor_ids:
            return []
        marks = ", ".join("?" for _ in visitor_ids)
        return await self.db.fetchall(
            f"SELECT {VISITOR_COLUMNS} FROM visitors WHERE account_id = ? AND id IN ({marks})",
            (account_id, *visitor_ids))

    async def latest_pages(self, visitor_ids: Sequence[str]) -> dict[str, Row]:
        """Each visitor's newest page view (the page it is on)."""
        if not visitor_ids:
            return {}
        marks = ", ".join("?" for _ in visitor_ids)
        rows = await self.db.fetchall(
            "SELECT visitor_id, url, title, referrer, visited_at FROM visitor_pages WHERE seq IN "
            f"(SELECT MAX(seq) FROM visitor_pages WHERE visitor_id IN ({marks}) GROUP BY visitor_id)",
            tuple(visitor_ids))
        return {row["visitor_id"]: row for row in rows}

    async def add_visitor_agent(self, visitor_id: str, agent_id: str, at: int,
                                conn: Conn | None = None) -> bool:
        """Record that an agent wrote to a visitor; True when it is the agent's first message."""
        count = await (conn or self.db).execute(
            "INSERT INTO visitor_agents (visitor_id, agent_id, added_at) VALUES (?, ?, ?) "
            "ON CONFLICT (visitor_id, agent_id) DO NOTHING", (visitor_id, agent_id, at),
        )
        return count == 1

    async def visitor_agents(self, visitor_ids: Sequence[str],
                             conn: Conn | None = None) -> dict[str, list[str]]:
        result: dict[str, list[str]] = {vid: [] for vid in visitor_ids}
        if not visitor_ids:
            return result
        marks = ", ".join("?" for _ in visitor_ids)
        rows = await (conn or self.db).fetchall(
            f"SELECT visitor_id, agent_id FROM visitor_agents WHERE visitor_id IN ({marks}) "
            "ORDER BY added_at, agent_id", tuple(visitor_ids))
        for row in rows:
            result[row["visitor_id"]].append(row["agent_id"])
        return result

    # messages

    async def insert_message(self, row: dict[str, Any], conn: Conn | None = None) -> int:
        """`row["search"]` is the text's folded words (textsearch.index_text); SQLite's FTS5 index
        takes them in one more statement, PostgreSQL's GIN index from the row itself."""
        db = conn or self.db
        seq = await db.insert(
            "INSERT INTO messages (id, account_id, visitor_id, user_id, text, seen, sent_at, "
            "attachment, by_bot, search) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (row["id"], row["account_id"], row["visitor_id"], row["user_id"], row["text"],
             int(row.get("seen", False)), row["sent_at"], row.get("attachment"),
             int(row.get("by_bot", False)), row.get("search", "")),
        )
        if self.dialect == "sqlite":
            self._sqlite().index_later(seq)  # at the batch's COMMIT (store/db.py)
        return seq

    def _sqlite(self) -> Any:
        """The SQLite database, whose index of messages' words follows its batches."""
        return self.db

    async def _unindex_messages(self, db: Conn | Database, where: str, param: str) -> None:
        if self.dialect == "sqlite":
            rows = await db.fetchall(f"SELECT seq FROM messages WHERE {where} = ?", (param,))
            await self._unindex_seqs(db, [r["seq"] for r in rows])

    async def _unindex_seqs(self, db: Conn | Database, seqs: list[int]) -> None:
        # An external-content FTS5 index forgets a row only when told the words it indexed;
        # a message still waiting for the batch's COMMIT is simply no longer due.
        if self.dialect == "sqlite":
            indexed = self._sqlite().forget_index(seqs)
            for start in range(0, len(indexed), 500):  # a visitor's erasure: 500 at a time
                chunk = indexed[start:start + 500]
                await db.execute("INSERT INTO messages_fts (messages_fts, rowid, search) "
                                 "SELECT 'delete', seq, search FROM messages "
                                 f"WHERE seq IN ({', '.join('?' * len(chunk))})", chunk)

    async def get_message(self, account_id: str, message_id: str,
                          conn: Conn | None = None) -> Row | None:
        return await (conn or self.db).fetchone(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ? AND account_id = ? "
            "AND deleted_at IS NULL", (message_id, account_id))

    async def message_seq(self, visitor_id: str | None, account_id: str, message_id: str) -> int | None:
        row = await self.db.fetchone(
            "SELECT seq, visitor_id FROM messages WHERE id = ? AND account_id = ?",
            (message_id, account_id))
        if row is None or (visitor_id is not None and row["visitor_id"] != visitor_id):
            return None
        return int(row["seq"])

    async def edit_message(self, message_id: str, text: str, search: str, at: int,
                           conn: Conn | None = None, seq: int | None = None) -> None:
        """`seq`, when the caller has read the row, saves looking it up (twice, on SQLite)."""
        db = conn or self.db
        if seq is None and self.dialect == "sqlite":
            row = await db.fetchone("SELECT seq FROM messages WHERE id = ?", (message_id,))
            if row is None:
                return
            seq = int(row["seq"])
        if seq is not None:
            await self._unindex_seqs(db, [seq])
        await db.execute("UPDATE messages SET text = ?, search = ?, edited_at = ? WHERE id = ?",
                         (text, search, at, message_id))
        if self.dialect == "sqlite" and seq is not None:
            self._sqlite().index_later(seq)

    async def delete_message(self, message_id: str, at: int, conn: Conn | None = None,
                             seq: int | None = None) -> None:
        # The row stays, text erased, so that clients resuming after it still find their place.
        db = conn or self.db
        if seq is not None:
            await self._unindex_seqs(db, [seq])
        else:
            await self._unindex_messages(db, "id", message_id)
        await db.execute("UPDATE messages SET text = '', search = '', deleted_at = ? WHERE id = ?",
                         (at, message_id))

    async def list_messages_desc(self, visitor_id: str, before_seq: int | None,
                                 limit: int) -> list[Row]:
        if before_seq is None:
            return await self.db.fetchall(
                f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE visitor_id = ? AND deleted_at IS NULL "
                "ORDER BY seq DESC LIMIT ?", (visitor_id, limit))
        return await self.db.fetchall(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE visitor_id = ? AND deleted_at IS NULL "
            "AND seq < ? ORDER BY seq DESC LIMIT ?", (visitor_id, before_seq, limit))

    async def list_messages_after(self, *, visitor_id: str | None = None,
                                  account_id: str | None = None, after_seq: int,
                                  limit: int) -> list[Row]:
        """Messages after a point, oldest first: a conversation, or a whole account's stream."""
        column, value = ("visitor_id", visitor_id) if visitor_id else ("account_id", account_id)
        return await self.db.fetchall(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE {column} = ? AND seq > ? "
            "AND deleted_at IS NULL ORDER BY seq LIMIT ?", (value, after_seq, limit))

    async def list_messages_since(self, after_seq: int, limit: int) -> list[Row]:
        """Every account's messages after a point, oldest first: what a node may have missed."""
        return await self.db.fetchall(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE seq > ? AND deleted_at IS NULL "
            "ORDER BY seq LIMIT ?", (after_seq, limit))

    async def list_messages_by_seq(self, seqs: list[int]) -> list[Row]:
        rows: list[Row] = []
        for start in range(0, len(seqs), 500):
            chunk = seqs[start:start + 500]
            rows += await self.db.fetchall(
                f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE seq IN ({', '.join('?' * len(chunk))}) "
                "AND deleted_at IS NULL ORDER BY seq", chunk)
        return rows

    async def last_message_seq(self) -> int:
        return await self._number("SELECT MAX(seq) AS n FROM messages")

    async def mark_seen(self, visitor_id: str, upto_seq: int, by_visitor: bool, at: int,
                        conn: Conn | None = None) -> list[Row]:
        """Mark the other side's unseen messages up to a point as seen; returns those changed."""
        side = "user_id IS NOT NULL" if by_visitor else "user_id IS NULL"
        db = conn or self.db
        rows = await db.fetchall(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE visitor_id = ? AND seq <= ? AND seen = 0 "
            f"AND deleted_at IS NULL AND {side} ORDER BY seq", (visitor_id, upto_seq))
        if rows:
            await db.execute(
                f"UPDATE messages SET seen = 1, seen_at = ? WHERE visitor_id = ? AND seq <= ? "
                f"AND seen = 0 AND deleted_at IS NULL AND {side}", (at, visitor_id, upto_seq))
        return rows

    # pages and attachments

    async def insert_page(self, visitor_id: str, url: str, title: str | None,
                          referrer: str | None, at: int) -> None:
        await self.db.execute(
            "INSERT INTO visitor_pages (visitor_id, url, title, referrer, visited_at) "
            "VALUES (?, ?, ?, ?, ?)", (visitor_id, url, title, referrer, at))

    async def list_pages(self, visitor_id: str, before_seq: int | None, limit: int) -> list[Row]:
        if before_seq is None:
            return await self.db.fetchall(
                "SELECT seq, url, title, referrer, visited_at FROM visitor_pages WHERE visitor_id = ? "
                "ORDER BY seq DESC LIMIT ?", (visitor_id, limit))
        return await self.db.fetchall(
            "SELECT seq, url, title, referrer, visited_at FROM visitor_pages WHERE visitor_id = ? "
            "AND seq < ? ORDER BY seq DESC LIMIT ?", (visitor_id, before_seq, limit))

    async def insert_attachment(self, row: dict[str, Any], conn: Conn | None = None) -> None:
        await (conn or self.db).execute(
            "INSERT INTO attachments (id, account_id, visitor_id, name, type, size, path, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (row["id"], row["account_id"], row["visitor_id"], row["name"], row["type"],
             row["size"], row["path"], row["created_at"]))

    async def attachment_ids_present(self, ids: list[str]) -> set[str]:
        """Which of these attachment IDs have a row (for the sweep of stray files)."""
        if not ids:
            return set()
        marks = ", ".join("?" * len(ids))
        rows = await self.db.fetchall(f"SELECT id FROM attachments WHERE id IN ({marks})", tuple(ids))
        return {row["id"] for row in rows}

    async def get_attachment(self, attachment_id: str) -> Row | None:
        return await self.db.fetchone("SELECT * FROM attachments WHERE id = ?", (attachment_id,))

    # settings

    async def update_account_settings(self, account_id: str, settings: str) -> None:
        await self.db.execute("UPDATE accounts SET settings = ? WHERE id = ?", (settings, account_id))

    async def set_agent_last_online(self, agent_id: str, at: int) -> None:
        await self.db.execute("UPDATE agents SET last_online = ? WHERE id = ?", (at, agent_id))

    async def touch_visitor(self, visitor_id: str, at: int, conn: Conn | None = None) -> None:
        await (conn or self.db).execute(
            "UPDATE visitors SET last_activity_at = ? WHERE id = ?", (at, visitor_id))

    async def touch_token(self, token_id: str, at: int) -> None:
        await self.db.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", (at, token_id))

    # dashboard sign-in

    async def agents_by_email(self, email: str) -> list[Row]:
        return await self.db.fetchall(
            f"SELECT {AGENT_COLUMNS}, password_hash FROM agents WHERE LOWER(email) = LOWER(?) "
            "AND removed_at IS NULL AND password_hash IS NOT NULL ORDER BY seq", (email,))

    async def agents_with_email(self, email: str) -> list[Row]:
        """Human agents with this email in any account, with or without a password."""
        return await self.db.fetchall(
            f"SELECT {AGENT_COLUMNS} FROM agents WHERE LOWER(email) = LOWER(?) "
            "AND removed_at IS NULL AND is_bot = 0 ORDER BY seq", (email,))

    async def agent_password_hash(self, agent_id: str) -> str | None:
        row = await self.db.fetchone("SELECT password_hash FROM agents WHERE id = ?", (agent_id,))
        return row["password_hash"] if row else None

    async def set_agent_password(self, agent_id: str, password_hash: str,
                                 conn: Conn | None = None) -> None:
        await (conn or self.db).execute("UPDATE agents SET password_hash = ? WHERE id = ?",
                              (password_hash, agent_id))

    async def insert_session(self, row: dict[str, Any]) -> None:
        await self.db.execute(
            "INSERT INTO sessions (id_hash, agent_id, account_id, csrf_token, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?)", (row["id_hash"], row["agent_id"], row["account_id"],
                                          row["csrf_token"], row["created_at"], row["expires_at"]))

    async def session_principal(self, id_hash: str, now: int) -> Row | None:
        return await self.db.fetchone(
            "SELECT s.agent_id, s.account_id, s.csrf_token, a.role, a.is_bot FROM sessions s "
            "JOIN agents a ON a.id = s.agent_id WHERE s.id_hash = ? AND s.expires_at > ? "
            "AND a.removed_at IS NULL", (id_hash, now))

    async def delete_session(self, id_hash: str) -> None:
        await self.db.execute("DELETE FROM sessions WHERE id_hash = ?", (id_hash,))

    async def delete_agent_sessions(self, agent_id: str, keep: str | None = None,
                                    conn: Conn | None = None) -> None:
        await (conn or self.db).execute("DELETE FROM sessions WHERE agent_id = ? AND id_hash <> ?",
                              (agent_id, keep or ""))

    async def throttle_hit(self, key: str, window_ms: int, now: int) -> int:
        """Count one attempt under `key` in a fixed window; returns the count so far."""
        async with self.db.transaction() as tx:
            row = await tx.fetchone("SELECT count, reset_at FROM throttle WHERE key = ?", (key,))
            if row is None or row["reset_at"] <= now:
                await tx.execute(
                    "INSERT INTO throttle (key, count, reset_at) VALUES (?, 1, ?) "
                    "ON CONFLICT (key) DO UPDATE SET count = 1, reset_at = excluded.reset_at",
                    (key, now + window_ms))
                return 1
            await tx.execute("UPDATE throttle SET count = count + 1 WHERE key = ?", (key,))
            return int(row["count"]) + 1

    async def throttle_state(self, key: str, now: int) -> Row | None:
        return await self.db.fetchone(
            "SELECT count, reset_at FROM throttle WHERE key = ? AND reset_at > ?", (key, now))

    async def throttle_clear(self, key: str) -> None:
        await self.db.execute("DELETE FROM throttle WHERE key = ?", (key,))

    # agents and tokens, managed by owners

    async def remove_agent(self, agent_id: str, at: int) -> None:
        async with self.db.transaction() as tx:
            # The email is freed so the same person can be added again later.
            await tx.execute(
                "UPDATE agents SET removed_at = ?, email = email || '#removed-' || id, "
                "password_hash = NULL WHERE id = ?", (at, agent_id))
            await tx.execute("UPDATE api_tokens SET revoked_at = ? WHERE agent_id = ? "
                             "AND revoked_at IS NULL", (at, agent_id))
            await tx.execute("DELETE FROM sessions WHERE agent_id = ?", (agent_id,))

    async def count_owners(self, account_id: str) -> int:
        return await self._number(
            "SELECT COUNT(*) AS n FROM agents WHERE account_id = ? AND role = 'owner' "
            "AND removed_at IS NULL", (account_id,))

    async def list_tokens(self, account_id: str) -> list[Row]:
        return await self.db.fetchall(
            "SELECT id, label, agent_id, created_at, last_used_at FROM api_tokens "
            "WHERE account_id = ? AND revoked_at IS NULL ORDER BY created_at DESC, id", (account_id,))

    async def revoke_token(self, account_id: str, token_id: str, at: int) -> bool:
        count = await self.db.execute(
            "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND account_id = ? "
            "AND revoked_at IS NULL", (at, token_id, account_id))
        return count == 1

    # conversations

    async def list_conversations(self, account_id: str, *, status: str | None,
                                 assignee: str | None, unassigned: bool, query: str | None,
                                 before: tuple[int, int] | None, limit: int,
                                 label: str | None = None,
                                 search: SearchWords | None = None) -> list[Row]:
        """`search` finds visitors by the words of their name or email, or of one message."""
        # Visitors who never wrote, and to whom no person wrote, are not conversations: the
        # partial index visitors_conversations holds only the others, so they cost nothing here.
        where = ["v.account_id = ?", "v.conversation_at IS NOT NULL"]
        params: list[Any] = [account_id]
        if label:
            # the label is on the visitor's latest episode (labels belong to one conversation)
            where.append("v.id IN (SELECT cl.visitor_id FROM conversation_labels cl "
                         "WHERE cl.label_id = ? AND cl.conversation_id = (SELECT c.id "
                         "FROM conversations c WHERE c.visitor_id = cl.visitor_id "
                         "ORDER BY c.seq DESC LIMIT 1))")
            params.append(label)
        if status:
            where.append("v.status = ?")
            params.append(status)
        if unassigned:
            where.append("v.assignee_id IS NULL")
        elif assignee:
            where.append("v.assignee_id = ?")
            params.append(assignee)
        if query and search is None:
            where.append("1 = 0")  # no words: nothing to find
        if before is not None:
            where.append("(v.last_activity_at < ? OR (v.last_activity_at = ? AND v.seq < ?))")
            params += [before[0], before[0], before[1]]
        columns = ", ".join("v." + c.strip() for c in VISITOR_COLUMNS.split(","))
        listing = f"FROM visitors v WHERE {' AND '.join(where)}"
        order = "ORDER BY v.last_activity_at DESC, v.seq DESC"
        if search is None:
            return await self.db.fetchall(f"SELECT {columns} {listing} {order} LIMIT ?",
                                          (*params, limit))
        # Rare words: the indexes give the few visitors, and no other visitor is read. Common
        # words (more than SEARCH_CAP rows hold them) would make that a join over half the
        # messages: the newest SEARCH_WINDOW visitors of the listing are checked one by one
        # first (on their own rows, stopping when the page is full), and only when they do not
        # fill the page do the indexes give every visitor.
        counts = await self._search_counts(account_id, search)
        if any(n > SEARCH_CAP for n in counts.values()):
            checks, args = self._search_checks(account_id, search, counts)
            rows = await self.db.fetchall(
                f"SELECT {columns} FROM (SELECT {columns}, v.search {listing} {order} "
                f"LIMIT {SEARCH_WINDOW}) v WHERE {checks} {order} LIMIT ?", (*params, *args, limit))
            if len(rows) == limit:
                return rows
        found, args = self._search_indexed(account_id, search, counts)
        if not found:
            return []
        return await self.db.fetchall(f"SELECT {columns} {listing} AND {found} {order} LIMIT ?",
                                      (*params, *args, limit))

    def _search_sources(self) -> dict[str, str]:
        return {"visitor": VISITOR_MATCH[self.dialect], "message": MESSAGE_MATCH[self.dialect]}

    def _search_match(self, search: SearchWords) -> str:
        return search.fts5 if self.dialect == "sqlite" else search.tsquery

    async def _search_counts(self, account_id: str, search: SearchWords) -> dict[str, int]:
        """How many visitors (by name and email) and messages hold the words, up to SEARCH_CAP + 1."""
        counts = {}
        for kind, sql in self._search_sources().items():
            row = await self.db.fetchone(f"SELECT COUNT(*) AS n FROM ({sql} LIMIT {SEARCH_CAP + 1}) t",
                                         (self._search_match(search), account_id))
            counts[kind] = int(row["n"]) if row is not None else 0
        return counts

    def _search_indexed(self, account_id: str, search: SearchWords,
                        counts: dict[str, int]) -> tuple[str, list[Any]]:
        sources = [sql for kind, sql in self._search_sources().items() if counts[kind]]
        args = [a for _ in sources for a in (self._search_match(search), account_id)]
        return (self._search_in(sources) if sources else ""), args

    def _search_in(self, sources: list[str]) -> str:
        # OFFSET 0 keeps PostgreSQL from turning the IN into a join that reads the visitors in
        # order and probes each one's messages, recomputing their words (seconds with 100,000
        # visitors); it hashes the few matches instead.
        fence = " OFFSET 0" if self.dialect == "postgresql" else ""
        return f"v.id IN (SELECT t.vid FROM ({' UNION '.join(sources)}) t{fence})"

    def _search_checks(self, account_id: str, search: SearchWords,
                       counts: dict[str, int]) -> tuple[str, list[Any]]:
        """Each visitor checked on its own rows, with the same words as the indexes hold."""
        checks: list[str] = []
        args: list[Any] = []
        for kind, sql in self._search_sources().items():
            if counts[kind] > SEARCH_CAP:
                col = "v.search" if kind == "visitor" else "m.search"
                check = " AND ".join(f"(' ' || {col} || ' ') LIKE ?" for _ in search.likes)
                # A scalar subquery, not EXISTS: PostgreSQL would turn EXISTS into a join over
                # every matching message instead of stopping at the first visitors.
                checks.append(check if kind == "visitor" else
                              f"(SELECT 1 FROM messages m WHERE m.visitor_id = v.id AND {check} "
                              "LIMIT 1) IS NOT NULL")
                args += search.likes
            elif counts[kind]:
                checks.append(self._search_in([sql]))
                args += [self._search_match(search), account_id]
        return "(" + " OR ".join(checks) + ")", args

    async def last_messages(self, visitor_ids: Sequence[str]) -> dict[str, Row]:
        if not visitor_ids:
            return {}
        marks = ", ".join("?" for _ in visitor_ids)
        rows = await self.db.fetchall(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE seq IN (SELECT MAX(seq) FROM messages "
            f"WHERE visitor_id IN ({marks}) AND deleted_at IS NULL GROUP BY visitor_id)",
            tuple(visitor_ids))
        return {row["visitor_id"]: row for row in rows}

    async def unread_counts(self, visitor_ids: Sequence[str]) -> dict[str, int]:
        if not visitor_ids:
            return {}
        marks = ", ".join("?" for _ in visitor_ids)
        rows = await self.db.fetchall(
            f"SELECT visitor_id, COUNT(*) AS n FROM messages WHERE visitor_id IN ({marks}) "
            "AND user_id IS NULL AND seen = 0 AND deleted_at IS NULL GROUP BY visitor_id",
            tuple(visitor_ids))
        return {row["visitor_id"]: int(row["n"]) for row in rows}

    # notes and canned responses

    async def insert_note(self, row: dict[str, Any]) -> None:
        await self.db.execute(
            "INSERT INTO notes (id, account_id, visitor_id, user_id, text, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)", (row["id"], row["account_id"], row["visitor_id"],
                                          row["user_id"], row["text"], row["created_at"]))

    async def list_notes(self, visitor_id: str) -> list[Row]:
        return await self.db.fetchall(
            "SELECT id, visitor_id, user_id, text, created_at FROM notes WHERE visitor_id = ? "
            "ORDER BY seq", (visitor_id,))

    async def list_canned(self, account_id: str) -> list[Row]:
        return await self.db.fetchall(
            "SELECT id, shortcut, text FROM canned WHERE account_id = ? ORDER BY shortcut",
            (account_id,))

    async def get_canned(self, account_id: str, canned_id: str) -> Row | None:
        return await self.db.fetchone(
            "SELECT id, shortcut, text FROM canned WHERE account_id = ? AND id = ?",
            (account_id, canned_id))

    async def canned_shortcut_taken(self, account_id: str, shortcut: str, except_id: str = "") -> bool:
        row = await self.db.fetchone(
            "SELECT 1 AS ok FROM canned WHERE account_id = ? AND shortcut = ? AND id <> ?",
            (account_id, shortcut, except_id))
        return row is not None

    async def insert_canned(self, row: dict[str, Any]) -> None:
        await self.db.execute(
            "INSERT INTO canned (id, account_id, shortcut, text, created_at) VALUES (?, ?, ?, ?, ?)",
            (row["id"], row["account_id"], row["shortcut"], row["text"], row["created_at"]))

    async def update_canned(self, canned_id: str, shortcut: str, text: str) -> None:
        await self.db.execute("UPDATE canned SET shortcut = ?, text = ? WHERE id = ?",
                              (shortcut, text, canned_id))

    async def delete_canned(self, account_id: str, canned_id: str) -> bool:
        return await self.db.execute("DELETE FROM canned WHERE account_id = ? AND id = ?",
                                     (account_id, canned_id)) == 1

    # the outbox and webhooks

    async def insert_event(self, event: Any, conn: Conn | None = None) -> None:
        await (conn or self.db).execute(
            "INSERT INTO events (id, account_id, visitor_id, name, data, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (event.id, event.account_id, event.visitor_id, event.name,
             orjson.dumps(event.data).decode(), event.created_at))

    async def insert_webhook(self, row: dict[str, Any]) -> None:
        await self.db.execute(
            "INSERT INTO webhooks (id, account_id, url, events, secret, enabled, created_at) "
            "VALUES (?, ?, ?, ?, ?, 1, ?)", (row["id"], row["account_id"], row["url"],
                                              row["events"], row["secret"], row["created_at"]))

    async def account_has_webhooks(self, account_id: str, conn: Conn | None = None) -> bool:
        row = await (conn or self.db).fetchone(
            "SELECT 1 AS ok FROM webhooks WHERE account_id = ? AND enabled = 1 LIMIT 1", (account_id,))
        return row is not None

    async def get_webhook(self, account_id: str, webhook_id: str) -> Row | None:
        return await self.db.fetchone(
            "SELECT * FROM webhooks WHERE id = ? AND account_id = ?", (webhook_id, account_id))

    async def list_webhooks(self, account_id: str) -> list[Row]:
        return await self.db.fetchall(
            "SELECT * FROM webhooks WHERE account_id = ? ORDER BY seq DESC", (account_id,))

    async def update_webhook(self, webhook_id: str, changes: dict[str, Any]) -> None:
        allowed = {"url", "events", "enabled", "disabled_reason", "failing_since", "last_success_at"}
        if set(changes) - allowed:
            raise ValueError(f"not webhook columns: {sorted(set(changes) - allowed)}")
        assignments = ", ".join(f"{column} = ?" for column in changes)
        await self.db.execute(f"UPDATE webhooks SET {assignments} WHERE id = ?",
                              (*changes.values(), webhook_id))

    async def delete_webhook(self, account_id: str, webhook_id: str) -> bool:
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM deliveries WHERE webhook_id = ?", (webhook_id,))
            return await tx.execute("DELETE FROM webhooks WHERE id = ? AND account_id = ?",
                                    (webhook_id, account_id)) == 1

    async def fan_out(self, now: int, body_of: Callable[[Row], str], limit: int = 200) -> int:
        """Turn stored events into one pending delivery per subscribed webhook, each carrying
        `body_of(event)` (what the endpoint receives: chat/webhooks.py); returns the count."""
        async with self.db.transaction() as tx:
            lock = " FOR UPDATE SKIP LOCKED" if self.dialect == "postgresql" else ""
            events = await tx.fetchall(
                "SELECT seq, id, account_id, visitor_id, name, data, created_at FROM events "
                f"WHERE fanned_out = 0 ORDER BY seq LIMIT ?{lock}", (limit,))
            if not events:
                return 0
            accounts = sorted({e["account_id"] for e in events})
            marks = ", ".join("?" for _ in accounts)
            hooks = await tx.fetchall(
                f"SELECT id, account_id, events FROM webhooks WHERE enabled = 1 "
                f"AND account_id IN ({marks})", tuple(accounts))
            by_account: dict[str, list[Row]] = {}
            for hook in hooks:
                by_account.setdefault(hook["account_id"], []).append(hook)
            for event in events:
                body = None
                for hook in by_account.get(event["account_id"], ()):
                    if event["name"] not in orjson.loads(hook["events"]):
                        continue
                    if body is None:
                        body = body_of(event)
                    await tx.execute(
                        "INSERT INTO deliveries (id, webhook_id, account_id, event_id, visitor_id, "
                        "event_name, body, status, attempts, next_attempt_at, created_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
                        (new_id(), hook["id"], event["account_id"], event["id"],
                         event["visitor_id"], event["name"], body, now, now))
            seqs = [e["seq"] for e in events]
            marks = ", ".join("?" for _ in seqs)
            await tx.execute(f"UPDATE events SET fanned_out = 1 WHERE seq IN ({marks})", tuple(seqs))
            return len(events)

    async def claim_deliveries(self, now: int, lease_ms: int, limit: int) -> list[Row]:
        """Due deliveries that are first in line for their webhook and visitor, leased to us."""
        lock = " FOR UPDATE OF d SKIP LOCKED" if self.dialect == "postgresql" else ""
        async with self.db.transaction() as tx:
            rows = await tx.fetchall(
                "SELECT d.seq, d.id, d.webhook_id, d.account_id, d.event_id, d.visitor_id, "
                "d.event_name, d.body, d.attempts, d.created_at FROM deliveries d "
                "WHERE d.status = 'pending' AND d.next_attempt_at <= ? "
                "AND (d.locked_until IS NULL OR d.locked_until < ?) "
                "AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.webhook_id = d.webhook_id "
                "AND e.visitor_id = d.visitor_id AND e.status = 'pending' AND e.seq < d.seq) "
                f"ORDER BY d.seq LIMIT ?{lock}", (now, now, limit))
            if rows:
                marks = ", ".join("?" for _ in rows)
                await tx.execute(f"UPDATE deliveries SET locked_until = ? WHERE seq IN ({marks})",
                                 (now + lease_ms, *[r["seq"] for r in rows]))
            return rows

    async def finish_delivery(self, seq: int, *, status: str, attempts: int, at: int,
                              next_attempt_at: int | None, response_code: int | None,
                              response_body: str | None, error: str | None) -> None:
        await self.db.execute(
            "UPDATE deliveries SET status = ?, attempts = ?, last_attempt_at = ?, "
            "next_attempt_at = COALESCE(?, next_attempt_at), response_code = ?, "
            "response_body = ?, error = ?, locked_until = NULL WHERE seq = ?",
            (status, attempts, at, next_attempt_at, response_code, response_body, error, seq))

    async def webhook_secrets(self, webhook_ids: Sequence[str]) -> dict[str, Row]:
        if not webhook_ids:
            return {}
        marks = ", ".join("?" for _ in webhook_ids)
        rows = await self.db.fetchall(
            f"SELECT id, account_id, url, secret, enabled, failing_since FROM webhooks "
            f"WHERE id IN ({marks})", tuple(webhook_ids))
        return {r["id"]: r for r in rows}

    async def list_deliveries(self, webhook_id: str, before_seq: int | None, limit: int) -> list[Row]:
        if before_seq is None:
            return await self.db.fetchall(
                "SELECT * FROM deliveries WHERE webhook_id = ? ORDER BY seq DESC LIMIT ?",
                (webhook_id, limit))
        return await self.db.fetchall(
            "SELECT * FROM deliveries WHERE webhook_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
            (webhook_id, before_seq, limit))

    async def get_delivery(self, webhook_id: str, delivery_id: str) -> Row | None:
        return await self.db.fetchone(
            "SELECT * FROM deliveries WHERE webhook_id = ? AND id = ?", (webhook_id, delivery_id))

    async def insert_delivery_copy(self, row: Row, new_id: str, now: int) -> None:
        await self.db.execute(
            "INSERT INTO deliveries (id, webhook_id, account_id, event_id, visitor_id, event_name, "
            "body, status, attempts, next_attempt_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
            (new_id, row["webhook_id"], row["account_id"], row["event_id"], row["visitor_id"],
             row["event_name"], row["body"], now, now))

    async def retry_pending_now(self, webhook_id: str, now: int) -> None:
        await self.db.execute(
            "UPDATE deliveries SET next_attempt_at = ? WHERE webhook_id = ? AND status = 'pending'",
            (now, webhook_id))

    # bots

    async def get_bot(self, account_id: str) -> Row | None:
        return await self.db.fetchone("SELECT * FROM bots WHERE account_id = ?", (account_id,))

    async def save_bot(self, account_id: str, config: str, external_secret: str | None) -> None:
        await self.db.execute(
            "INSERT INTO bots (account_id, config, external_secret) VALUES (?, ?, ?) "
            "ON CONFLICT (account_id) DO UPDATE SET config = excluded.config, "
            "external_secret = excluded.external_secret", (account_id, config, external_secret))

    async def bot_outcome(self, account_id: str, at: int, error: str | None) -> None:
        if error is None:
            await self.db.execute("UPDATE bots SET last_success_at = ? WHERE account_id = ?",
                                  (at, account_id))
        else:
            await self.db.execute(
                "UPDATE bots SET last_error = ?, last_error_at = ? WHERE account_id = ?",
                (error, at, account_id))

    async def conversation_facts(self, visitor_id: str, before_seq: int) -> Row:
        """What the rule bot needs to decide: earlier messages, last human and bot messages."""
        return await self.db.fetchone(
            "SELECT "
            "(SELECT COUNT(*) FROM messages WHERE visitor_id = ? AND seq < ?) AS earlier, "
            "(SELECT MAX(m.sent_at) FROM messages m WHERE m.visitor_id = ? AND m.user_id IS NOT NULL "
            " AND m.by_bot = 0) AS last_human_at, "
            "(SELECT MAX(sent_at) FROM messages WHERE visitor_id = ? AND seq < ?) AS previous_at, "
            "(SELECT COUNT(*) FROM messages WHERE visitor_id = ? AND by_bot = 1) AS bot_messages",
            (visitor_id, before_seq, visitor_id, visitor_id, before_seq, visitor_id))

    async def last_bot_text(self, visitor_id: str) -> Row | None:
        return await self.db.fetchone(
            "SELECT text, sent_at FROM messages WHERE visitor_id = ? AND by_bot = 1 "
            "AND deleted_at IS NULL ORDER BY seq DESC LIMIT 1", (visitor_id,))

    async def bot_texts(self, visitor_id: str) -> list[str]:
        rows = await self.db.fetchall(
            "SELECT text FROM messages WHERE visitor_id = ? AND by_bot = 1", (visitor_id,))
        return [r["text"] for r in rows]

    # availability and assignment

    async def set_availability(self, agent_id: str, status: str, auto: bool, *,
                               only_if: str | None = None) -> bool:
        """Sets an agent's Online/Away; `only_if` makes it conditional ("online": only an agent
        now online goes away by itself; "auto": only an automatic away comes back by itself)."""
        where = ""
        if only_if == "online":
            where = " AND availability = 'online'"
        elif only_if == "auto":
            where = " AND availability = 'away' AND away_auto = 1"
        count = await self.db.execute(
            f"UPDATE agents SET availability = ?, away_auto = ? WHERE id = ?{where}",
            (status, int(auto), agent_id))
        return count == 1

    async def online_agents(self, account_id: str, agent_ids: Sequence[str],
                            conn: Conn | None = None) -> list[str]:
        """Of these agents, the human ones of the account that chose Online."""
        if not agent_ids:
            return []
        marks = ", ".join("?" for _ in agent_ids)
        rows = await (conn or self.db).fetchall(
            f"SELECT id FROM agents WHERE account_id = ? AND id IN ({marks}) AND is_bot = 0 "
            "AND removed_at IS NULL AND availability = 'online' ORDER BY seq",
            (account_id, *agent_ids))
        return [r["id"] for r in rows]

    async def set_agent_capacity(self, agent_id: str, max_open: int | None) -> None:
        await self.db.execute("UPDATE agents SET max_open = ? WHERE id = ?", (max_open, agent_id))

    async def open_assigned_counts(self, account_id: str) -> dict[str, int]:
        rows = await self.db.fetchall(
            "SELECT assignee_id, COUNT(*) AS n FROM visitors WHERE account_id = ? "
            "AND status = 'open' AND assignee_id IS NOT NULL GROUP BY assignee_id", (account_id,))
        return {r["assignee_id"]: int(r["n"]) for r in rows}

    async def lock_visitor(self, visitor_id: str, conn: Conn) -> None:
        """Takes the visitor's row lock now, as the message's own UPDATE of the row would later:
        writers that take it first and insert after cannot deadlock with those doing the reverse.
        SQLite's transactions hold the database's write lock and need none."""
        if conn.dialect == "postgresql":
            await conn.execute("SELECT id FROM visitors WHERE id = ? FOR NO KEY UPDATE", (visitor_id,))

    async def lock_account(self, account_id: str, conn: Conn) -> None:
        """Serialises assignments of one account until the transaction ends. SQLite needs no
        lock: a transaction there holds the database's write lock and never suspends."""
        if conn.dialect == "postgresql":
            await conn.execute("SELECT id FROM accounts WHERE id = ? FOR NO KEY UPDATE", (account_id,))

    async def next_assignee(self, account_id: str, agent_ids: Sequence[str],
                            conn: Conn) -> str | None:
        """Round robin: of these agents, the one assigned longest ago that is below capacity."""
        if not agent_ids:
            return None
        marks = ", ".join("?" for _ in agent_ids)
        row = await conn.fetchone(
            f"SELECT a.id FROM agents a WHERE a.account_id = ? AND a.id IN ({marks}) "
            "AND a.is_bot = 0 AND a.removed_at IS NULL AND a.availability = 'online' "
            "AND (a.max_open IS NULL OR a.max_open > (SELECT COUNT(*) FROM visitors v "
            "WHERE v.assignee_id = a.id AND v.status = 'open')) "
            "ORDER BY COALESCE(a.last_assigned_at, 0), a.seq LIMIT 1", (account_id, *agent_ids))
        return row["id"] if row else None

    async def waiting_conversations(self, account_id: str, limit: int) -> list[Row]:
        """Open, unassigned conversations (a visitor has written), longest waiting first."""
        return await self.db.fetchall(
            f"SELECT {VISITOR_COLUMNS} FROM visitors v WHERE v.account_id = ? AND v.status = 'open' "
            "AND v.assignee_id IS NULL AND v.banned = 0 AND EXISTS (SELECT 1 FROM messages m "
            "WHERE m.visitor_id = v.id AND m.user_id IS NULL AND m.deleted_at IS NULL) "
            "ORDER BY v.last_activity_at, v.seq LIMIT ?", (account_id, limit))

    async def claim_assignment(self, visitor_id: str, agent_id: str, previous: str | None,
                               at: int, conn: Conn) -> bool:
        """Assigns only if the assignee is still `previous`: two nodes never both assign."""
        if previous is None:
            count = await conn.execute(
                "UPDATE visitors SET assignee_id = ?, status = 'open' WHERE id = ? "
                "AND assignee_id IS NULL", (agent_id, visitor_id))
        else:
            count = await conn.execute(
                "UPDATE visitors SET assignee_id = ?, status = 'open' WHERE id = ? "
                "AND assignee_id = ?", (agent_id, visitor_id, previous))
        if count == 1:
            # Strictly increasing per account, so two assignments in one millisecond still rotate.
            await conn.execute(
                "UPDATE agents SET last_assigned_at = (SELECT CASE WHEN MAX(o.last_assigned_at) >= ? "
                "THEN MAX(o.last_assigned_at) + 1 ELSE ? END FROM agents o "
                "WHERE o.account_id = agents.account_id) WHERE id = ?", (at, at, agent_id))
        return count == 1

    # audit log and erasure

    async def insert_audit(self, row: dict[str, Any], conn: Conn | None = None) -> None:
        await (conn or self.db).execute(
            "INSERT INTO audit_log (id, account_id, agent_id, action, target_type, target_id, "
            "details, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (row["id"], row["account_id"], row["agent_id"], row["action"], row["target_type"],
             row["target_id"], row["details"], row["at"]))

    async def list_audit(self, account_id: str, before_seq: int | None, limit: int) -> list[Row]:
        if before_seq is None:
            return await self.db.fetchall(
                "SELECT * FROM audit_log WHERE account_id = ? ORDER BY seq DESC LIMIT ?",
                (account_id, limit))
        return await self.db.fetchall(
            "SELECT * FROM audit_log WHERE account_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
            (account_id, before_seq, limit))

    async def visitor_export(self, visitor_id: str) -> dict[str, list[Row]]:
        return {
            "messages": await self.db.fetchall(
                f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE visitor_id = ? AND deleted_at IS NULL "
                "ORDER BY seq", (visitor_id,)),
            "pages": await self.db.fetchall(
                "SELECT url, title, referrer, visited_at FROM visitor_pages WHERE visitor_id = ? "
                "ORDER BY seq", (visitor_id,)),
            "notes": await self.db.fetchall(
                "SELECT id, visitor_id, user_id, text, created_at FROM notes WHERE visitor_id = ? "
                "ORDER BY seq", (visitor_id,)),
            "attachments": await self.db.fetchall(
                "SELECT id, name, type, size, path, created_at FROM attachments WHERE visitor_id = ? "
                "ORDER BY created_at", (visitor_id,)),
        }

    async def erase_visitor(self, visitor_id: str, conn: Conn) -> None:
        """Everything stored about a visitor, including queued copies of its events."""
        await self._unindex_messages(conn, "visitor_id", visitor_id)
        await self._unindex_visitor(conn, visitor_id)
        for table in ("deliveries", "events", "emails", "visitor_pages", "notes", "attachments",
                      "visitor_agents", "messages"):
            await conn.execute(f"DELETE FROM {table} WHERE visitor_id = ?", (visitor_id,))
        await conn.execute("DELETE FROM visitors WHERE id = ?", (visitor_id,))

    async def claim_flag(self, name: str, at: int) -> bool:
        """True for exactly one caller, even when several processes start at once."""
        return await self.db.execute(
            "INSERT INTO instance_flags (name, set_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
            (name, at)) == 1

    async def instance_secret(self, name: str, make: str, at: int) -> str:
        """The installation's secret called `name`; the first caller's `make` wins, on every node."""
        await self.db.execute(
            "INSERT INTO instance_secrets (name, value, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO NOTHING", (name, make, at))
        row = await self.db.fetchone("SELECT value FROM instance_secrets WHERE name = ?", (name,))
        assert row is not None
        return row["value"]

    async def replace_instance_secret(self, name: str, value: str, at: int) -> None:
        await self.db.execute(
            "INSERT INTO instance_secrets (name, value, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value, created_at = excluded.created_at",
            (name, value, at))

    # known users (botaz/chat/identity.py)

    async def identity_visitor(self, account_id: str, external_id: str,
                               conn: Conn | None = None) -> Row | None:
        return await (conn or self.db).fetchone(
            f"SELECT {VISITOR_COLUMNS} FROM visitors WHERE id = (SELECT visitor_id FROM "
            "visitor_identities WHERE account_id = ? AND external_id = ?)", (account_id, external_id))

    async def visitor_identity(self, visitor_id: str, conn: Conn | None = None) -> str | None:
        row = await (conn or self.db).fetchone(
            "SELECT external_id FROM visitor_identities WHERE visitor_id = ?", (visitor_id,))
        return row["external_id"] if row else None

    async def bind_identity(self, account_id: str, external_id: str, visitor_id: str, at: int,
                            conn: Conn) -> None:
        await conn.execute(
            "INSERT INTO visitor_identities (account_id, external_id, visitor_id, created_at) "
            "VALUES (?, ?, ?, ?)", (account_id, external_id, visitor_id, at))

    async def add_visitor_token_tx(self, visitor_id: str, token_hash: str, at: int, keep: int,
                                   conn: Conn) -> None:
        await conn.execute(
            "INSERT INTO visitor_tokens (token_hash, visitor_id, created_at) VALUES (?, ?, ?)",
            (token_hash, visitor_id, at))
        await conn.execute(
            "DELETE FROM visitor_tokens WHERE visitor_id = ? AND seq NOT IN ("
            "SELECT seq FROM visitor_tokens WHERE visitor_id = ? "
            "ORDER BY seq DESC LIMIT ?)", (visitor_id, visitor_id, keep))

    async def merge_visitor(self, from_id: str, into_id: str, now: int, conn: Conn) -> None:
        """Move one visitor's conversation, page views and notes to another, then delete it.

        Both may have an open conversation (episode); only one may stay open, the known user's.
        """
        await conn.execute(
            "UPDATE conversations SET resolved_at = ? WHERE visitor_id = ? AND resolved_at IS NULL "
            "AND EXISTS (SELECT 1 FROM conversations c WHERE c.visitor_id = ? "
            "AND c.resolved_at IS NULL)", (now, from_id, into_id))
        for table in ("messages", "visitor_pages", "notes", "attachments", "emails",
                      "conversations", "conversation_assignments", "conversation_labels"):
            await conn.execute(f"UPDATE {table} SET visitor_id = ? WHERE visitor_id = ?",
                               (into_id, from_id))
        await conn.execute(
            "INSERT INTO visitor_agents (visitor_id, agent_id, added_at) "
            "SELECT ?, agent_id, added_at FROM visitor_agents WHERE visitor_id = ? "
            "ON CONFLICT (visitor_id, agent_id) DO NOTHING", (into_id, from_id))
        await conn.execute(
            "INSERT INTO proactive_shown (visitor_id, rule_id, shown_at) "
            "SELECT ?, rule_id, shown_at FROM proactive_shown WHERE visitor_id = ? "
            "ON CONFLICT (visitor_id, rule_id) DO NOTHING", (into_id, from_id))
        source = await conn.fetchone(
            "SELECT conversation_at, last_activity_at FROM visitors WHERE id = ?", (from_id,))
        target = await conn.fetchone(
            "SELECT conversation_at, last_activity_at FROM visitors WHERE id = ?", (into_id,))
        if source is not None and target is not None:
            started = [v for v in (source["conversation_at"], target["conversation_at"]) if v]
            active = [v for v in (source["last_activity_at"], target["last_activity_at"]) if v]
            await conn.execute(
                "UPDATE visitors SET conversation_at = ?, last_activity_at = ? WHERE id = ?",
                (min(started) if started else None, max(active) if active else None, into_id))
        await self._move_reply_address(conn, from_id, into_id, now)
        await self._unindex_visitor(conn, from_id)
        await conn.execute("DELETE FROM visitors WHERE id = ?", (from_id,))

    async def _move_reply_address(self, conn: Conn, from_id: str, into_id: str, now: int) -> None:
        """The merged visitor's reply address (and those it inherited) lead to `into_id`: the
        address itself when `into_id` has none yet, an alias otherwise."""
        await conn.execute("UPDATE visitor_reply_aliases SET visitor_id = ? WHERE visitor_id = ?",
                           (into_id, from_id))
        source = await conn.fetchone("SELECT reply_token FROM visitors WHERE id = ?", (from_id,))
        token = source["reply_token"] if source is not None else None
        if token is None:
            return
        await conn.execute("UPDATE visitors SET reply_token = NULL WHERE id = ?", (from_id,))
        if await conn.execute("UPDATE visitors SET reply_token = ? WHERE id = ? AND reply_token IS NULL",
                              (token, into_id)) == 0:
            await conn.execute("INSERT INTO visitor_reply_aliases (token, visitor_id, added_at) "
                               "VALUES (?, ?, ?)", (token, into_id, now))

    async def set_visitor_attributes(self, visitor_id: str, attributes: str | None,
                                     conn: Conn | None = None) -> None:
        """The JSON object, and its rows in visitor_attributes (what filters match)."""
        db = conn or self.db
        await db.execute("UPDATE visitors SET attributes = ? WHERE id = ?", (attributes, visitor_id))
        await db.execute("DELETE FROM visitor_attributes WHERE visitor_id = ?", (visitor_id,))
        for key, value in attribute_rows(attributes):
            await db.execute(
                "INSERT INTO visitor_attributes (visitor_id, account_id, key, value) "
                "SELECT id, account_id, ?, ? FROM visitors WHERE id = ?", (key, value, visitor_id))

    async def attribute_keys(self, account_id: str, limit: int) -> list[Row]:
        """The attribute keys the account's visitors have, each with how many visitors have it."""
        return await self.db.fetchall(
            "SELECT key, COUNT(*) AS visitors FROM visitor_attributes WHERE account_id = ? "
            "GROUP BY key ORDER BY key LIMIT ?", (account_id, limit))

    async def visitor_attributes(self, visitor_id: str, conn: Conn | None = None) -> str | None:
        row = await (conn or self.db).fetchone(
            "SELECT attributes FROM visitors WHERE id = ?", (visitor_id,))
        return row["attributes"] if row else None

    async def mark_proactive(self, visitor_id: str, rule_id: str, at: int) -> bool:
        """True the first time only: a rule speaks to a visitor at most once."""
        return await self.db.execute(
            "INSERT INTO proactive_shown (visitor_id, rule_id, shown_at) VALUES (?, ?, ?) "
            "ON CONFLICT (visitor_id, rule_id) DO NOTHING", (visitor_id, rule_id, at)) == 1

    async def prune_silent_visitors(self, before: int, batch: int = 500) -> int:
        """Delete a batch of visitors who never wrote and to whom nobody wrote, last seen before
        `before`, with their page views (the foreign keys take the rest)."""
        rows = await self.db.fetchall(
            "SELECT id FROM visitors WHERE conversation_at IS NULL AND "
            "(last_online < ? OR (last_online IS NULL AND added_at < ?)) "
            "AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.visitor_id = visitors.id) "
            "ORDER BY seq LIMIT ?", (before, before, batch))
        if not rows:
            return 0
        ids = [r["id"] for r in rows]
        marks = ", ".join("?" for _ in ids)
        async with self.db.transaction() as tx:
            for table in ("visitor_pages", "visitor_tokens", "visitor_agents", "visitor_identities",
                          "proactive_shown"):
                await tx.execute(f"DELETE FROM {table} WHERE visitor_id IN ({marks})", ids)
            if self.dialect == "sqlite":  # their name or email words leave the search index too
                await tx.execute("INSERT INTO visitors_fts (visitors_fts, rowid, search) "
                                 f"SELECT 'delete', seq, search FROM visitors WHERE id IN ({marks}) "
                                 "AND conversation_at IS NULL AND search <> ''", ids)
            return await tx.execute(f"DELETE FROM visitors WHERE id IN ({marks}) "
                                    "AND conversation_at IS NULL", ids)

    async def prune(self, now: int, *, events_ms: int, deliveries_ms: int) -> int:
        """Forget what is no longer needed: delivered events, old delivery logs, dead sessions."""
        removed = 0
        removed += await self.db.execute(
            "DELETE FROM events WHERE fanned_out = 1 AND created_at < ?", (now - events_ms,))
        removed += await self.db.execute(
            "DELETE FROM deliveries WHERE status <> 'pending' AND created_at < ?", (now - deliveries_ms,))
        removed += await self.db.execute("DELETE FROM sessions WHERE expires_at < ?", (now,))
        removed += await self.db.execute("DELETE FROM throttle WHERE reset_at < ?", (now,))
        return removed

    # email: the outbox, the marks that say a message was dealt with, password resets

    async def insert_email(self, row: dict[str, Any], conn: Conn | None = None) -> None:
        await (conn or self.db).execute(
            "INSERT INTO emails (id, account_id, visitor_id, kind, recipient, subject, message, "
            "status, attempts, next_attempt_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
            (row["id"], row["account_id"], row.get("visitor_id"), row["kind"], row["recipient"],
             row["subject"], row["message"], row["created_at"], row["created_at"]))

    async def claim_emails(self, now: int, lease_ms: int, limit: int) -> list[Row]:
        """Due emails, leased to this node so that no other node sends them meanwhile."""
        lock = " FOR UPDATE SKIP LOCKED" if self.dialect == "postgresql" else ""
        async with self.db.transaction() as tx:
            rows = await tx.fetchall(
                "SELECT seq, id, account_id, kind, recipient, message, attempts, created_at "
                "FROM emails WHERE status = 'pending' AND next_attempt_at <= ? "
                f"AND (locked_until IS NULL OR locked_until < ?) ORDER BY seq LIMIT ?{lock}",
                (now, now, limit))
            if rows:
                marks = ", ".join("?" for _ in rows)
                await tx.execute(f"UPDATE emails SET locked_until = ? WHERE seq IN ({marks})",
                                 (now + lease_ms, *[r["seq"] for r in rows]))
            return rows

    async def finish_email(self, seq: int, *, status: str, attempts: int, at: int,
                           next_attempt_at: int | None, error: str | None) -> None:
        # A sent or abandoned email's text is dropped: the log keeps who, what subject and when,
        # not conversations (or password-reset links) a second time.
        await self.db.execute(
            "UPDATE emails SET status = ?, attempts = ?, last_attempt_at = ?, "
            "next_attempt_at = COALESCE(?, next_attempt_at), error = ?, locked_until = NULL, "
            "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END, "
            "message = CASE WHEN ? = 'pending' THEN message ELSE '' END WHERE seq = ?",
            (status, attempts, at, next_attempt_at, error, status, at, status, seq))

    async def list_emails(self, account_id: str, before_seq: int | None, limit: int) -> list[Row]:
        columns = ("seq, id, visitor_id, kind, recipient, subject, status, attempts, "
                   "next_attempt_at, last_attempt_at, error, created_at, sent_at")
        if before_seq is None:
            return await self.db.fetchall(
                f"SELECT {columns} FROM emails WHERE account_id = ? ORDER BY seq DESC LIMIT ?",
                (account_id, limit))
        return await self.db.fetchall(
            f"SELECT {columns} FROM emails WHERE account_id = ? AND seq < ? "
            "ORDER BY seq DESC LIMIT ?", (account_id, before_seq, limit))

    async def retry_email_now(self, account_id: str, email_id: str, now: int) -> bool:
        return await self.db.execute(
            "UPDATE emails SET next_attempt_at = ? WHERE account_id = ? AND id = ? "
            "AND status = 'pending'", (now, account_id, email_id)) == 1

    async def pending_emails(self) -> int:
        return await self._number("SELECT COUNT(*) AS n FROM emails WHERE status = 'pending'")

    async def mail_due_visitors(self, *, agents: bool, before: int, limit: int) -> list[Row]:
        """Visitors with messages not yet dealt with by mail, sent before `before`: agents'
        messages (replies the visitor may not have seen) or visitors' (that may need an alert)."""
        side = "user_id IS NOT NULL" if agents else "user_id IS NULL"
        # Newest first: replies to visitors whose widget stays open wait here for as long as it
        # does, and must not crowd out the conversations that are due now.
        return await self.db.fetchall(
            "SELECT visitor_id, MAX(sent_at) AS last_at FROM messages "
            f"WHERE mail_at IS NULL AND sent_at <= ? AND {side} GROUP BY visitor_id "
            "ORDER BY MAX(sent_at) DESC LIMIT ?", (before, limit))

    async def lock_visitor_for_mail(self, visitor_id: str, conn: Conn) -> Row | None:
        """The visitor's row, locked for this transaction; None if another node holds it."""
        lock = " FOR UPDATE SKIP LOCKED" if self.dialect == "postgresql" else ""
        return await conn.fetchone(
            f"SELECT {VISITOR_COLUMNS}, locale FROM visitors WHERE id = ?{lock}", (visitor_id,))

    async def unmailed_messages(self, visitor_id: str, *, agents: bool, conn: Conn) -> list[Row]:
        side = "user_id IS NOT NULL" if agents else "user_id IS NULL"
        return await conn.fetchall(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE visitor_id = ? AND mail_at IS NULL "
            f"AND {side} ORDER BY seq", (visitor_id,))

    async def last_human_reply_seq(self, visitor_id: str, conn: Conn) -> int:
        row = await conn.fetchone(
            "SELECT MAX(seq) AS seq FROM messages WHERE visitor_id = ? AND user_id IS NOT NULL "
            "AND by_bot = 0 AND deleted_at IS NULL", (visitor_id,))
        return int(row["seq"] or 0) if row else 0

    async def mark_mailed(self, seqs: Sequence[int], at: int, conn: Conn) -> int:
        if not seqs:
            return 0
        marks = ", ".join("?" for _ in seqs)
        return await conn.execute(
            f"UPDATE messages SET mail_at = ? WHERE seq IN ({marks}) AND mail_at IS NULL",
            (at, *seqs))

    async def skip_old_mail(self, before: int) -> int:
        """Messages too old to email about are marked dealt with, keeping the due index small."""
        return await self.db.execute(
            "UPDATE messages SET mail_at = 0 WHERE mail_at IS NULL AND sent_at < ?", (before,))

    async def set_visitor_locale(self, visitor_id: str, locale: str) -> None:
        await self.db.execute("UPDATE visitors SET locale = ? WHERE id = ?", (locale, visitor_id))

    async def visitor_locale(self, visitor_id: str) -> str | None:
        row = await self.db.fetchone("SELECT locale FROM visitors WHERE id = ?", (visitor_id,))
        return row["locale"] if row else None

    async def mail_recipients(self, account_id: str) -> list[Row]:
        """The account's human agents with an email address, with their preferences."""
        return await self.db.fetchall(
            "SELECT id, name, email, prefs FROM agents WHERE account_id = ? AND is_bot = 0 "
            "AND removed_at IS NULL AND email LIKE ? ORDER BY seq", (account_id, "%@%"))

    async def agent_names(self, account_id: str) -> dict[str, str]:
        rows = await self.db.fetchall("SELECT id, name FROM agents WHERE account_id = ?",
                                      (account_id,))
        return {r["id"]: r["name"] for r in rows}

    async def insert_password_reset(self, row: dict[str, Any], conn: Conn | None = None) -> None:
        await (conn or self.db).execute(
            "INSERT INTO password_resets (token_hash, agent_id, account_id, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)", (row["token_hash"], row["agent_id"], row["account_id"],
                                       row["created_at"], row["expires_at"]))

    async def use_password_reset(self, token_hash: str, now: int, conn: Conn) -> Row | None:
        """Spends a valid reset token (once: a second use finds it used); returns its agent."""
        row = await conn.fetchone(
            "SELECT r.agent_id, r.account_id FROM password_resets r JOIN agents a ON a.id = r.agent_id "
            "WHERE r.token_hash = ? AND r.used_at IS NULL AND r.expires_at > ? "
            "AND a.removed_at IS NULL", (token_hash, now))
        if row is None:
            return None
        if await conn.execute("UPDATE password_resets SET used_at = ? WHERE token_hash = ? "
                              "AND used_at IS NULL", (now, token_hash)) != 1:
            return None
        # Every other link sent to this agent dies with this one.
        await conn.execute("UPDATE password_resets SET used_at = ? WHERE agent_id = ? "
                           "AND used_at IS NULL", (now, row["agent_id"]))
        return row

    async def prune_mail(self, now: int, *, emails_ms: int, resets_ms: int) -> int:
        removed = await self.db.execute(
            "DELETE FROM emails WHERE status <> 'pending' AND created_at < ?", (now - emails_ms,))
        removed += await self.db.execute(
            "DELETE FROM password_resets WHERE expires_at < ?", (now - resets_ms,))
        return removed

    async def pending_deliveries(self) -> int:
        return await self._number("SELECT COUNT(*) AS n FROM deliveries WHERE status = 'pending'")

    # web push: agents' browser subscriptions and the push outbox

    async def save_push_subscription(self, row: dict[str, Any]) -> Row:
        """One row per endpoint: a browser that subscribes again (or for another agent) updates it."""
        await self.db.execute(
            "INSERT INTO push_subscriptions (id, account_id, agent_id, endpoint, p256dh, auth, "
            "user_agent, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (endpoint) DO UPDATE "
            "SET account_id = excluded.account_id, agent_id = excluded.agent_id, "
            "p256dh = excluded.p256dh, auth = excluded.auth, user_agent = excluded.user_agent, "
            "last_error = NULL",
            (row["id"], row["account_id"], row["agent_id"], row["endpoint"], row["p256dh"],
             row["auth"], row["user_agent"], row["created_at"]))
        saved = await self.db.fetchone("SELECT * FROM push_subscriptions WHERE endpoint = ?",
                                       (row["endpoint"],))
        assert saved is not None
        return saved

    async def agent_push_subscriptions(self, agent_id: str) -> list[Row]:
        return await self.db.fetchall(
            "SELECT * FROM push_subscriptions WHERE agent_id = ? ORDER BY seq", (agent_id,))

    async def delete_push_subscription(self, subscription_id: str, agent_id: str | None = None) -> int:
        """Its queued pushes go with it; agent_id, when given, must own it."""
        if agent_id is not None:
            owned = await self.db.fetchone(
                "SELECT 1 AS ok FROM push_subscriptions WHERE id = ? AND agent_id = ?",
                (subscription_id, agent_id))
            if owned is None:
                return 0
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM push_outbox WHERE subscription_id = ?", (subscription_id,))
            return await tx.execute("DELETE FROM push_subscriptions WHERE id = ?", (subscription_id,))

    async def alert_agents(self, account_id: str) -> list[Row]:
        """The account's human agents and their preferences: who may be alerted."""
        return await self.db.fetchall(
            "SELECT id, name, prefs FROM agents WHERE account_id = ? AND removed_at IS NULL "
            "AND is_bot = 0", (account_id,))

    async def push_agents(self, account_id: str) -> set[str]:
        """Agents of the account with at least one subscribed browser."""
        rows = await self.db.fetchall(
            "SELECT DISTINCT agent_id FROM push_subscriptions WHERE account_id = ?", (account_id,))
        return {r["agent_id"] for r in rows}

    async def push_subscriptions_of(self, agent_ids: Sequence[str]) -> list[Row]:
        if not agent_ids:
            return []
        marks = ", ".join("?" for _ in agent_ids)
        return await self.db.fetchall(
            f"SELECT id, agent_id FROM push_subscriptions WHERE agent_id IN ({marks}) ORDER BY seq",
            tuple(agent_ids))

    async def queue_pushes(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        async with self.db.transaction() as tx:
            for row in rows:
                await tx.execute(
                    "INSERT INTO push_outbox (subscription_id, payload, topic, urgency, status, "
                    "attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)",
                    (row["subscription_id"], row["payload"], row.get("topic"), row["urgency"],
                     row["created_at"], row["created_at"]))

    async def claim_pushes(self, now: int, lease_ms: int, limit: int) -> list[Row]:
        """Due pushes with their subscription's keys, leased to this node."""
        lock = " FOR UPDATE OF o SKIP LOCKED" if self.dialect == "postgresql" else ""
        async with self.db.transaction() as tx:
            rows = await tx.fetchall(
                "SELECT o.seq, o.subscription_id, o.payload, o.topic, o.urgency, o.attempts, "
                "o.created_at, s.endpoint, s.p256dh, s.auth FROM push_outbox o "
                "JOIN push_subscriptions s ON s.id = o.subscription_id "
                "WHERE o.status = 'pending' AND o.next_attempt_at <= ? "
                "AND (o.locked_until IS NULL OR o.locked_until < ?) "
                f"ORDER BY o.seq LIMIT ?{lock}", (now, now, limit))
            if rows:
                marks = ", ".join("?" for _ in rows)
                await tx.execute(f"UPDATE push_outbox SET locked_until = ? WHERE seq IN ({marks})",
                                 (now + lease_ms, *[r["seq"] for r in rows]))
            return rows

    async def finish_push(self, seq: int, *, status: str, attempts: int,
                          next_attempt_at: int | None, error: str | None) -> None:
        if status == "sent":
            await self.db.execute("DELETE FROM push_outbox WHERE seq = ?", (seq,))
            return
        await self.db.execute(
            "UPDATE push_outbox SET status = ?, attempts = ?, "
            "next_attempt_at = COALESCE(?, next_attempt_at), error = ?, locked_until = NULL "
            "WHERE seq = ?", (status, attempts, next_attempt_at, error, seq))

    async def push_result(self, subscription_id: str, *, at: int | None, error: str | None) -> None:
        if error is None:
            await self.db.execute(
                "UPDATE push_subscriptions SET last_success_at = ?, last_error = NULL WHERE id = ?",
                (at, subscription_id))
        else:
            await self.db.execute("UPDATE push_subscriptions SET last_error = ? WHERE id = ?",
                                  (error, subscription_id))

    async def prune_pushes(self, before: int) -> int:
        """Pushes that failed for good are kept a while for `GET /api/push/subscriptions`' sake."""
        removed = await self.db.execute(
            "DELETE FROM push_outbox WHERE status <> 'pending' AND created_at < ?", (before,))
        removed += await self.db.execute(
            "DELETE FROM push_outbox WHERE NOT EXISTS (SELECT 1 FROM push_subscriptions s "
            "WHERE s.id = push_outbox.subscription_id)")
        return removed

    # conversations as episodes (chat/episodes.py) and labels

    async def open_episode(self, visitor_id: str, conn: Conn | None = None) -> Row | None:
        return await (conn or self.db).fetchone(
            "SELECT id, first_response_at, first_bot_at FROM conversations "
            "WHERE visitor_id = ? AND resolved_at IS NULL", (visitor_id,))

    async def insert_episode(self, row: dict[str, Any], conn: Conn | None = None) -> bool:
        """False when the visitor already has an open episode (another node opened it)."""
        return await (conn or self.db).execute(
            "INSERT INTO conversations (id, account_id, visitor_id, opened_at, opened_by, "
            "first_response_at, first_responder_id, first_bot_at, assignee_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (visitor_id) WHERE resolved_at IS NULL DO NOTHING",
            (row["id"], row["account_id"], row["visitor_id"], row["opened_at"], row["opened_by"],
             row["first_response_at"], row["first_responder_id"], row["first_bot_at"],
             row["assignee_id"])) == 1

    async def episode_first_response(self, episode_id: str, agent_id: str, at: int,
                                     conn: Conn | None = None) -> None:
        await (conn or self.db).execute(
            "UPDATE conversations SET first_response_at = ?, first_responder_id = ? "
            "WHERE id = ? AND first_response_at IS NULL", (at, agent_id, episode_id))

    async def episode_first_bot(self, episode_id: str, at: int, conn: Conn | None = None) -> None:
        await (conn or self.db).execute(
            "UPDATE conversations SET first_bot_at = ? WHERE id = ? AND first_bot_at IS NULL",
            (at, episode_id))

    async def resolve_episode(self, visitor_id: str, by: str | None, at: int,
                              conn: Conn | None = None) -> str | None:
        """Closes the visitor's open episode; its ID, or None when none was open."""
        db = conn or self.db
        row = await db.fetchone("SELECT id FROM conversations WHERE visitor_id = ? "
                                "AND resolved_at IS NULL", (visitor_id,))
        if row is None:
            return None
        await db.execute("UPDATE conversations SET resolved_at = ?, resolved_by = ? WHERE id = ?",
                         (at, by, row["id"]))
        return row["id"]

    async def assign_episode(self, visitor_id: str, agent_id: str | None, by: str | None, at: int,
                             conn: Conn | None = None) -> None:
        db = conn or self.db
        row = await db.fetchone("SELECT id, assignee_id FROM conversations WHERE visitor_id = ? "
                                "AND resolved_at IS NULL", (visitor_id,))
        episode_id = row["id"] if row else None
        if row is not None:
            if row["assignee_id"] == agent_id:
                return  # assigned again to the same agent: nothing happened to record
            await db.execute("UPDATE conversations SET assignee_id = ? WHERE id = ?",
                             (agent_id, episode_id))
        await db.execute(
            "INSERT INTO conversation_assignments (conversation_id, visitor_id, agent_id, "
            "assigned_by, at) VALUES (?, ?, ?, ?, ?)", (episode_id, visitor_id, agent_id, by, at))

    async def latest_episode(self, visitor_id: str, conn: Conn | None = None) -> Row | None:
        return await (conn or self.db).fetchone(
            "SELECT * FROM conversations WHERE visitor_id = ? ORDER BY seq DESC LIMIT 1",
            (visitor_id,))

    async def list_episodes(self, visitor_id: str, before_seq: int | None, limit: int) -> list[Row]:
        if before_seq is None:
            return await self.db.fetchall(
                "SELECT * FROM conversations WHERE visitor_id = ? ORDER BY seq DESC LIMIT ?",
                (visitor_id, limit))
        return await self.db.fetchall(
            "SELECT * FROM conversations WHERE visitor_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
            (visitor_id, before_seq, limit))

    async def rate_episode(self, episode_id: str, score: int, comment: str | None, at: int,
                           conn: Conn | None = None) -> None:
        await (conn or self.db).execute(
            "UPDATE conversations SET rating = ?, rating_comment = ?, rated_at = ? WHERE id = ?",
            (score, comment, at, episode_id))

    async def episode_assignments(self, episode_ids: Sequence[str]) -> dict[str, list[Row]]:
        result: dict[str, list[Row]] = {eid: [] for eid in episode_ids}
        if not episode_ids:
            return result
        marks = ", ".join("?" for _ in episode_ids)
        for row in await self.db.fetchall(
                "SELECT conversation_id, agent_id, assigned_by, at FROM conversation_assignments "
                f"WHERE conversation_id IN ({marks}) ORDER BY seq", tuple(episode_ids)):
            result[row["conversation_id"]].append(row)
        return result

    async def episode_labels(self, episode_ids: Sequence[str],
                             conn: Conn | None = None) -> dict[str, list[Row]]:
        result: dict[str, list[Row]] = {eid: [] for eid in episode_ids}
        if not episode_ids:
            return result
        marks = ", ".join("?" for _ in episode_ids)
        for row in await (conn or self.db).fetchall(
                "SELECT cl.conversation_id, l.id, l.name, l.color FROM conversation_labels cl "
                f"JOIN labels l ON l.id = cl.label_id WHERE cl.conversation_id IN ({marks}) "
                "ORDER BY LOWER(l.name), l.id", tuple(episode_ids)):
            result[row["conversation_id"]].append(row)
        return result

    async def report_rows(self, account_id: str, start: int, end: int) -> list[Row]:
        """The columns the reports need, of the episodes opened in [start, end): one index range."""
        return await self.db.fetchall(
            "SELECT opened_at, opened_by, first_response_at, first_responder_id, first_bot_at, "
            "resolved_at, rating FROM conversations "
            "WHERE account_id = ? AND opened_at >= ? AND opened_at < ?", (account_id, start, end))

    # The reports' statements read one range of the covering index conversations_report. The
    # waits are ranked by the database (ROW_NUMBER over the window), and only the rows at the
    # ranks a percentile needs come back: a handful of rows, whatever the window holds.
    _WINDOW = "FROM conversations WHERE account_id = ? AND opened_at >= ? AND opened_at < ?"
    # 0-based ranks around the median and the 90th percentile of cnt values: floor((cnt-1)*f), +1
    _RANKS = "rn IN ((cnt - 1) / 2, (cnt - 1) / 2 + 1, 9 * (cnt - 1) / 10, 9 * (cnt - 1) / 10 + 1)"

    async def report_totals(self, account_id: str, start: int, end: int, target_ms: int) -> Row:
        return await self.db.fetchone(
            "SELECT COUNT(*) AS n, COUNT(resolved_at) AS resolved, COUNT(rating) AS rated, "
            "SUM(rating) AS rating_sum, SUM(CASE WHEN resolved_at IS NOT NULL AND "
            "first_response_at IS NULL AND first_bot_at IS NOT NULL THEN 1 ELSE 0 END) AS bot_only, "
            "SUM(CASE WHEN opened_by IS NULL AND first_response_at IS NOT NULL THEN 1 ELSE 0 END) "
            "AS answered, SUM(CASE WHEN opened_by IS NULL AND first_response_at - opened_at <= ? "
            f"THEN 1 ELSE 0 END) AS within_target {self._WINDOW}",
            (target_ms, account_id, start, end))

    async def report_ranked(self, account_id: str, start: int, end: int) -> list[Row]:
        """PostgreSQL: one read of the window, ranked three ways; only the ranks a median or p90
        needs come back (`rn` 0-based of `cnt`): `kind` "first" (the first responses of the
        episodes the visitor started), "resolution", and "agent" (per first responder: `total`
        episodes, and its first responses around their median; rank 0 always, so every agent
        appears)."""
        return await self.db.fetchall(
            "WITH w AS MATERIALIZED (SELECT first_responder_id AS agent, "
            "CASE WHEN opened_by IS NULL THEN first_response_at - opened_at END AS fr, "
            f"resolved_at - opened_at AS res {self._WINDOW}) "
            "SELECT 'first' AS kind, NULL AS agent, ms, rn, cnt, 0 AS total FROM (SELECT fr AS ms, "
            "ROW_NUMBER() OVER (ORDER BY fr) - 1 AS rn, COUNT(*) OVER () AS cnt FROM w "
            f"WHERE fr IS NOT NULL) f WHERE {self._RANKS} "
            "UNION ALL SELECT 'resolution', NULL, ms, rn, cnt, 0 FROM (SELECT res AS ms, "
            "ROW_NUMBER() OVER (ORDER BY res) - 1 AS rn, COUNT(*) OVER () AS cnt FROM w "
            f"WHERE res IS NOT NULL) r WHERE {self._RANKS} "
            "UNION ALL SELECT 'agent', agent, ms, rn, cnt, total FROM (SELECT agent, fr AS ms, "
            "ROW_NUMBER() OVER (PARTITION BY agent ORDER BY fr NULLS LAST) - 1 AS rn, "
            "COUNT(fr) OVER (PARTITION BY agent) AS cnt, COUNT(*) OVER (PARTITION BY agent) AS total "
            "FROM w WHERE agent IS NOT NULL) a WHERE rn = 0 OR rn IN ((cnt - 1) / 2, (cnt - 1) / 2 + 1)",
            (account_id, start, end))

    async def report_waits(self, account_id: str, start: int, end: int) -> tuple[list[Row], list[Row]]:
        """The waits themselves, one or two numbers a row: (first responses with their agent, null
        when an agent opened the episode; resolutions)."""
        answers = await self.db.fetchall(
            "SELECT first_responder_id AS agent, CASE WHEN opened_by IS NULL "
            f"THEN first_response_at - opened_at END AS ms {self._WINDOW} "
            "AND first_responder_id IS NOT NULL", (account_id, start, end))
        resolutions = await self.db.fetchall(
            f"SELECT resolved_at - opened_at AS ms {self._WINDOW} AND resolved_at IS NOT NULL",
            (account_id, start, end))
        return answers, resolutions

    async def export_rows(self, account_id: str, start: int, end: int, after_seq: int,
                          limit: int) -> list[Row]:
        return await self.db.fetchall(
            "SELECT c.*, v.name AS visitor_name, v.email AS visitor_email FROM conversations c "
            "JOIN visitors v ON v.id = c.visitor_id "
            "WHERE c.account_id = ? AND c.opened_at >= ? AND c.opened_at < ? AND c.seq > ? "
            "ORDER BY c.seq LIMIT ?", (account_id, start, end, after_seq, limit))

    async def list_labels(self, account_id: str) -> list[Row]:
        return await self.db.fetchall(
            "SELECT id, name, color, created_at FROM labels WHERE account_id = ? ORDER BY LOWER(name), id",
            (account_id,))

    async def get_label(self, account_id: str, label_id: str) -> Row | None:
        return await self.db.fetchone(
            "SELECT id, name, color, created_at FROM labels WHERE id = ? AND account_id = ?",
            (label_id, account_id))

    async def label_name_taken(self, account_id: str, name: str, except_id: str = "") -> bool:
        row = await self.db.fetchone(
            "SELECT 1 AS ok FROM labels WHERE account_id = ? AND LOWER(name) = LOWER(?) AND id <> ?",
            (account_id, name, except_id))
        return row is not None

    async def insert_label(self, row: dict[str, Any]) -> None:
        await self.db.execute(
            "INSERT INTO labels (id, account_id, name, color, created_at) VALUES (?, ?, ?, ?, ?)",
            (row["id"], row["account_id"], row["name"], row["color"], row["created_at"]))

    async def update_label(self, label_id: str, name: str, color: str) -> None:
        await self.db.execute("UPDATE labels SET name = ?, color = ? WHERE id = ?",
                              (name, color, label_id))

    async def delete_label(self, account_id: str, label_id: str) -> bool:
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM conversation_labels WHERE label_id = ?", (label_id,))
            return await tx.execute("DELETE FROM labels WHERE id = ? AND account_id = ?",
                                    (label_id, account_id)) == 1

    async def add_episode_label(self, episode_id: str, label_id: str, visitor_id: str,
                                by: str, at: int, conn: Conn | None = None) -> bool:
        return await (conn or self.db).execute(
            "INSERT INTO conversation_labels (conversation_id, label_id, visitor_id, added_at, "
            "added_by) VALUES (?, ?, ?, ?, ?) ON CONFLICT (conversation_id, label_id) DO NOTHING",
            (episode_id, label_id, visitor_id, at, by)) == 1

    async def remove_episode_label(self, episode_id: str, label_id: str,
                                   conn: Conn | None = None) -> bool:
        return await (conn or self.db).execute(
            "DELETE FROM conversation_labels WHERE conversation_id = ? AND label_id = ?",
            (episode_id, label_id)) == 1


def rows_ids(rows: Iterable[Row]) -> list[str]:
    return [row["id"] for row in rows]
