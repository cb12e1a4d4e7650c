"""The PostgreSQL baseline for bench/pg_run.py: Starlette + orjson + asyncpg, no botaz code.

Each endpoint does the least a PostgreSQL-backed endpoint can do, with asyncpg's own pool (the
fastest driver of bench/pg_drivers.py, used the way its documentation shows, or with
BENCH_POOL_RESET=off without the pool's reset round trip), so the ratio
botaz/bare is what botaz's own work costs on top of the framework and one round trip:

    BENCH_DATABASE_URL=postgresql://... python -m uvicorn bench.pg_bare_app:app --port 8001 \
        --loop uvloop --http httptools --no-access-log --log-level warning --lifespan on

Endpoints:
  GET  /visitors/{id}  one primary-key SELECT of botaz's visitor columns; the row as JSON, 200
  POST /messages/      parses the JSON body; BEGIN, one INSERT ... RETURNING seq, COMMIT; 201
  GET  /healthz
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from typing import Any, AsyncIterator

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

VISITOR_SQL = (
    "SELECT seq, id, account_id, user_agent, app_name, app_version, platform, cookie_enabled, "
    "banned, added_at, name, email, phone, notes, preform_filled, last_online, show_bot_messages, "
    "status, assignee_id, last_activity_at, bot_muted_until, conversation_at, visit_started_at "
    "FROM visitors WHERE id = $1")
INSERT_SQL = ("INSERT INTO messages (id, account_id, visitor_id, user_id, text, seen, sent_at, "
              "attachment, by_bot, search) VALUES ($1, $2, $3, $4, $5, 0, $6, NULL, 0, '') "
              "RETURNING seq")


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


POOL: list[asyncpg.Pool] = []
ACCOUNT: list[str] = []


async def _no_reset(conn: asyncpg.Connection) -> None:
    return None


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    # BENCH_POOL_RESET=off: the pool hands connections back without asyncpg's reset round trip
    # (`RESET ALL`, `UNLISTEN *`, ...), as botaz's pool does; these endpoints keep no session state.
    lean = os.environ.get("BENCH_POOL_RESET") == "off"
    pool = await asyncpg.create_pool(os.environ["BENCH_DATABASE_URL"], min_size=2, max_size=20,
                                     reset=_no_reset if lean else None)
    ACCOUNT.append(await pool.fetchval("SELECT id FROM accounts LIMIT 1") or "")
    POOL.append(pool)
    yield
    await pool.close()


async def get_visitor(request: Request) -> Response:
    row = await POOL[0].fetchrow(VISITOR_SQL, request.path_params["id"])
    if row is None:
        return JSONResponse({"status": "error", "message": "Visitor not found."}, status_code=404)
    return JSONResponse({"_id": row["id"], "userAgent": row["user_agent"], "name": row["name"],
                         "banned": bool(row["banned"]), "addedAt": row["added_at"]})


async def send_message(request: Request) -> Response:
    body = orjson.loads(await request.body())
    message_id = secrets.token_urlsafe(12)
    now = int(time.time() * 1000)
    async with POOL[0].acquire() as conn:
        async with conn.transaction():
            await conn.fetchval(INSERT_SQL, message_id, ACCOUNT[0], body["visitorId"],
                                body["userId"], body["text"], now)
    return JSONResponse({"_id": message_id, "userId": body["userId"], "visitorId": body["visitorId"],
                         "text": body["text"], "seen": False, "sentAt": now}, status_code=201)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


app = Starlette(lifespan=lifespan, routes=[
    Route("/visitors/{id}", get_visitor, methods=["GET"]),
    Route("/messages/", send_message, methods=["POST"]),
    Route("/healthz", healthz, methods=["GET"]),
])
