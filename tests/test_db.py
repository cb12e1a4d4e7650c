"""SQLite group commit: participants of one batch commit together and fail alone."""

from __future__ import annotations

import asyncio

from botaz.store.db import SqliteDatabase


def test_a_failing_participant_rolls_back_alone_and_savepoint_names_are_reused(tmp_path) -> None:
    async def scenario() -> None:
        db = SqliteDatabase(f"sqlite:///{tmp_path}/group.db")
        await db.executescript("CREATE TABLE t (seq INTEGER PRIMARY KEY, v TEXT NOT NULL)")

        async def write(value: str, fail: bool = False) -> None:
            async with db.transaction() as tx:
                await tx.insert("INSERT INTO t (v) VALUES (?)", (value,))
                if fail:
                    raise RuntimeError("the request failed after writing")

        for round_ in range(50):
            results = await asyncio.gather(write(f"a{round_}"), write(f"b{round_}", fail=True),
                                           write(f"c{round_}"), return_exceptions=True)
            assert results[0] is None and results[2] is None
            assert isinstance(results[1], RuntimeError)
        rows = [r["v"] for r in await db.fetchall("SELECT v FROM t ORDER BY seq")]
        assert rows == [v for i in range(50) for v in (f"a{i}", f"c{i}")]
        assert db._names <= 3  # three at a time, reused round after round
        await db.close()

    asyncio.run(scenario())


def test_a_failed_commit_fails_every_participant(tmp_path) -> None:
    async def scenario() -> None:
        db = SqliteDatabase(f"sqlite:///{tmp_path}/group.db")
        await db.executescript("CREATE TABLE t (seq INTEGER PRIMARY KEY, v TEXT NOT NULL)")

        async def write(value: str) -> None:
            async with db.transaction() as tx:
                await tx.insert("INSERT INTO t (v) VALUES (?)", (value,))

        real = db._conn

        class FailingCommit:
            def execute(self, sql: str, *args: object):
                if sql == "COMMIT":
                    raise RuntimeError("disk full")
                return real.execute(sql, *args)

        db._conn = FailingCommit()  # type: ignore[assignment]
        results = await asyncio.gather(write("x"), write("y"), return_exceptions=True)
        assert all(isinstance(r, RuntimeError) for r in results)
        db._conn = real
        await write("z")
        assert [r["v"] for r in await db.fetchall("SELECT v FROM t")] == ["z"]
        await db.close()

    asyncio.run(scenario())
