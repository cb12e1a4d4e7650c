"""The knowledge base's SQL: articles and their full-text index, one method per statement group.

SQLite keeps the index in an FTS5 table (rowid = the article's seq) written in the same
transaction as the article; PostgreSQL indexes the article's own columns with a GIN expression
index, so it is always in step. Both index words that Python folded (botaz/chat/textsearch.py).
"""

from __future__ import annotations

from typing import Any

from .db import Database, Row

ARTICLE_COLUMNS = ("seq, id, account_id, title, body, locale, slug, category, published, "
                   "search_title, search_body, search_len, created_at, updated_at")
TS_EXPR = "to_tsvector('simple', search_title || ' ' || search_body)"


class ArticleRepo:
    db: Database
    dialect: str

    def transaction(self) -> Any: ...  # Store's, which this class is a base of

    async def insert_article(self, row: dict[str, Any]) -> int:
        async with self.transaction() as tx:
            seq = await tx.insert(
                "INSERT INTO articles (id, account_id, title, body, locale, slug, category, published, "
                "search_title, search_body, search_len, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (row["id"], row["account_id"], row["title"], row["body"], row["locale"], row["slug"],
                 row["category"], int(row["published"]), row["search_title"], row["search_body"],
                 row["search_len"], row["created_at"], row["updated_at"]))
            if tx.dialect == "sqlite":
                await tx.execute("INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)",
                                 (seq, row["search_title"], row["search_body"]))
        return seq

    async def update_article(self, seq: int, changes: dict[str, Any]) -> None:
        cols = ", ".join(f"{k} = ?" for k in changes)
        async with self.transaction() as tx:
            await tx.execute(f"UPDATE articles SET {cols} WHERE seq = ?", (*changes.values(), seq))
            if tx.dialect == "sqlite" and ("search_title" in changes or "search_body" in changes):
                row = await tx.fetchone("SELECT search_title, search_body FROM articles WHERE seq = ?",
                                        (seq,))
                await tx.execute("DELETE FROM articles_fts WHERE rowid = ?", (seq,))
                await tx.execute("INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)",
                                 (seq, row["search_title"], row["search_body"]))

    async def delete_article(self, seq: int) -> None:
        async with self.transaction() as tx:
            await tx.execute("DELETE FROM articles WHERE seq = ?", (seq,))
            if tx.dialect == "sqlite":
                await tx.execute("DELETE FROM articles_fts WHERE rowid = ?", (seq,))

    async def get_article(self, account_id: str, article_id: str) -> Row | None:
        return await self.db.fetchone(
            f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE account_id = ? AND id = ?",
            (account_id, article_id))

    async def get_article_by_slug(self, account_id: str, slug: str) -> Row | None:
        return await self.db.fetchone(
            f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE account_id = ? AND slug = ?",
            (account_id, slug))

    async def article_slugs_like(self, account_id: str, base: str) -> set[str]:
        rows = await self.db.fetchall(
            "SELECT slug FROM articles WHERE account_id = ? AND (slug = ? OR slug LIKE ?)",
            (account_id, base, base + "-%"))
        return {r["slug"] for r in rows}

    @staticmethod
    def _filters(locale: str | None, category: str | None, published_only: bool,
                 prefix: str = "") -> tuple[str, list[Any]]:
        sql, args = "", []
        if locale:
            sql += f" AND {prefix}locale = ?"
            args.append(locale)
        if category is not None:
            sql += f" AND {prefix}category = ?"
            args.append(category)
        if published_only:
            sql += f" AND {prefix}published = 1"
        return sql, args

    async def list_articles(self, account_id: str, before_seq: int | None, limit: int,
                            locale: str | None = None, category: str | None = None,
                            published_only: bool = False) -> list[Row]:
        where, args = self._filters(locale, category, published_only)
        if before_seq is not None:
            where += " AND seq < ?"
            args.append(before_seq)
        return await self.db.fetchall(
            f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE account_id = ?{where} "
            "ORDER BY seq DESC LIMIT ?", (account_id, *args, limit))

    async def article_categories(self, account_id: str, published_only: bool) -> list[str]:
        rows = await self.db.fetchall(
            "SELECT DISTINCT category FROM articles WHERE account_id = ? AND category IS NOT NULL"
            + (" AND published = 1" if published_only else "") + " ORDER BY category",
            (account_id,))
        return [r["category"] for r in rows]

    async def article_stats(self, account_id: str, locale: str | None, category: str | None,
                            published_only: bool) -> Row:
        where, args = self._filters(locale, category, published_only)
        return await self.db.fetchone(
            f"SELECT COUNT(*) AS n, COALESCE(SUM(search_len), 0) AS total_len FROM articles "
            f"WHERE account_id = ?{where}", (account_id, *args))

    async def search_articles(self, account_id: str, match: str, locale: str | None,
                              category: str | None, published_only: bool,
                              cap: int = 1000) -> list[Row]:
        """Every article holding any of the query's words (`match` is an FTS5 query on SQLite, a
        tsquery on PostgreSQL); ranking is the caller's."""
        where, args = self._filters(locale, category, published_only, "a.")
        if self.dialect == "sqlite":
            return await self.db.fetchall(
                f"SELECT {', '.join('a.' + c.strip() for c in ARTICLE_COLUMNS.split(','))} "
                "FROM articles_fts f JOIN articles a ON a.seq = f.rowid "
                f"WHERE articles_fts MATCH ? AND a.account_id = ?{where} ORDER BY a.seq LIMIT ?",
                (match, account_id, *args, cap))
        return await self.db.fetchall(
            f"SELECT {ARTICLE_COLUMNS} FROM articles a WHERE {TS_EXPR} @@ to_tsquery('simple', ?) "
            f"AND a.account_id = ?{where} ORDER BY a.seq LIMIT ?",
            (match, account_id, *args, cap))

