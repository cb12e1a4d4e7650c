"""The SQL of images (the account's logo, agents' avatars): one row per owner, replaced whole."""

from __future__ import annotations

from typing import Any

from .db import Database, Row


class ImageRepo:
    db: Database

    def transaction(self) -> Any: ...  # Store's, which this class is a base of

    async def put_image(self, row: dict[str, Any]) -> None:
        """Replaces the owner's image (a new ID: the old URL stops answering)."""
        async with self.transaction() as tx:
            await tx.execute("DELETE FROM images WHERE account_id = ? AND owner = ?",
                             (row["account_id"], row["owner"]))
            await tx.execute(
                "INSERT INTO images (id, account_id, owner, type, data, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (row["id"], row["account_id"], row["owner"], row["type"], row["data"],
                 row["created_at"]))

    async def delete_image(self, account_id: str, owner: str) -> int:
        return await self.db.execute("DELETE FROM images WHERE account_id = ? AND owner = ?",
                                     (account_id, owner))

    async def get_image(self, image_id: str) -> Row | None:
        return await self.db.fetchone("SELECT id, type, data FROM images WHERE id = ?", (image_id,))

    async def image_ids(self, account_id: str) -> dict[str, str]:
        """owner -> image ID, for the account's logo and its agents' avatars."""
        rows = await self.db.fetchall("SELECT owner, id FROM images WHERE account_id = ?",
                                      (account_id,))
        return {r["owner"]: r["id"] for r in rows}
