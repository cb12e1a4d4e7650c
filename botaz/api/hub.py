"""The WebSocket hub: fans events from the bus out to the sockets that may hear them.

Each socket has a bounded queue of frames, drained by a writer task while it is not empty.
Publishing never awaits: a socket whose queue is full (a stalled or slow client) is dropped, so
it can neither stall the others nor grow memory without bound.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Any

import orjson
from starlette.types import Send

from ..chat.views import for_visitor
from ..events import REVOKED, Event, EventBus

log = logging.getLogger("botaz.hub")

CLOSE_OVERFLOW = 4008  # policy: the client did not keep up
CLOSE_BANNED = 4403
CLOSE_ERASED = 4404
CLOSE_REVOKED = 4401
CLOSE_GOING_AWAY = 1001


class Connection:
    """One open socket. Idle sockets are the common case, so one holds no queue, event or task
    until there is something to send: a list of pending frames appears with the first event and a
    writer task lives only while that list drains."""

    __slots__ = ("send_message", "kind", "account_id", "visitor_id", "agent_id", "max_queue",
                 "pending", "floor", "holding", "send_lock", "closed", "writer", "token_id",
                 "session", "dashboard")

    def __init__(self, send: Send, kind: str, account_id: str, *, visitor_id: str | None = None,
                 agent_id: str | None = None, max_queue: int = 256, token_id: str | None = None,
                 session: str | None = None) -> None:
        self.send_message = send
        self.kind = kind
        self.account_id = account_id
        self.visitor_id = visitor_id
        self.agent_id = agent_id
        self.token_id = token_id
        self.session = session
        self.dashboard = False  # a human's dashboard session (set by Hub.connect)
        self.max_queue = max_queue
        self.pending: list[tuple[int | None, str]] | None = None
        # Messages with seq <= floor were already sent by a resume; live copies are skipped.
        self.floor = 0
        # While a resume may still come (or is being sent), live events wait in `pending`.
        self.holding = True
        self.send_lock = asyncio.Lock()  # cheap until contended: its waiters deque is lazy
        self.closed = False
        self.writer: asyncio.Task[None] | None = None

    def offer(self, seq: int | None, text: str) -> bool:
        """Queue a frame; False when the client is max_queue frames behind."""
        if self.closed:
            return True
        if self.pending is None:
            self.pending = []
        elif len(self.pending) >= self.max_queue:
            return False
        self.pending.append((seq, text))
        if self.writer is None and not self.holding:
            self.writer = asyncio.get_running_loop().create_task(self._drain())
        return True

    def hold(self) -> None:
        self.holding = True

    def release(self) -> None:
        self.holding = False
        if self.pending and self.writer is None and not self.closed:
            self.writer = asyncio.get_running_loop().create_task(self._drain())

    def stop_writer(self) -> None:
        if self.writer is not None:
            self.writer.cancel()
            # A task cancelled before it first ran keeps its CancelledError, whose traceback
            # holds this connection: forgetting the task here leaves no reference cycle for the
            # collector to find (and frozen objects are never collected: see gc_policy).
            self.writer = None

    async def send(self, text: str) -> None:
        async with self.send_lock:
            await self.send_message({"type": "websocket.send", "text": text})

    async def close(self, code: int, reason: str) -> None:
        await self.send_message({"type": "websocket.close", "code": code, "reason": reason})

    async def _drain(self) -> None:
        try:
            while self.pending and not self.holding and not self.closed:
                seq, text = self.pending.pop(0)
                if seq is not None and seq <= self.floor:
                    continue
                await self.send(text)
            if not self.pending:
                self.pending = None
        except Exception:  # the peer went away mid-send; the reader notices and cleans up
            self.closed = True
        finally:
            self.writer = None


SOCKETS_KEY = "botaz:sockets:"  # + visitor ID: a hash of node ID -> open sockets
SOCKETS_TTL = 86_400

PRESENCE = "_presence"
SNAPSHOT = "_presence_snapshot"
HEARTBEAT = 5.0
NODE_TIMEOUT = 15.0


class RemoteNode:
    __slots__ = ("seen", "visitors", "agents")

    def __init__(self) -> None:
        self.seen = 0.0
        self.visitors: set[str] = set()
        self.agents: dict[str, tuple[str, bool]] = {}  # agent -> (account, human)


class Hub:
    def __init__(self, bus: EventBus, max_queue: int = 256) -> None:
        self.bus = bus
        self.remote: dict[str, RemoteNode] = {}
        self._heartbeat: asyncio.Task[None] | None = None
        self.max_queue = max_queue
        self.visitors: dict[str, set[Connection]] = defaultdict(set)
        self.agents: dict[str, set[Connection]] = defaultdict(set)  # by account
        self.agent_counts: dict[str, int] = defaultdict(int)  # sockets per agent
        # Sockets opened with a dashboard session by a human agent: only these make an agent
        # available (an integration's API-token socket never does).
        self.dashboard_counts: dict[str, int] = defaultdict(int)
        self.human_agents: dict[str, set[str]] = defaultdict(set)  # account -> dashboard humans
        self.account_visitors: dict[str, set[str]] = defaultdict(set)  # account -> visitors here
        # Called with (account, agent, here) when an agent's dashboard presence changes, on this
        # node (here=True) or another (the widgets' online state depends on it).
        self.presence_listeners: list[Any] = []
        self.dropped = 0
        self._background: set[asyncio.Task[None]] = set()
        self._unsubscribe = bus.subscribe(self.on_event)

    @property
    def open_sockets(self) -> int:
        return sum(map(len, self.visitors.values())) + sum(map(len, self.agents.values()))

    def connect(self, conn: Connection, *, is_bot: bool = False) -> bool:
        """Registers a socket; True when it is the first of its visitor (or agent)."""
        if conn.kind == "visitor":
            group = self.visitors[conn.visitor_id]
            group.add(conn)
            first = len(group) == 1
            if first:
                self.account_visitors[conn.account_id].add(conn.visitor_id)
                self._announce("visitor", conn.visitor_id, conn.account_id, True, False)
            return first
        agent = conn.agent_id
        before = self._agent_state(agent)
        self.agents[conn.account_id].add(conn)
        self.agent_counts[agent] += 1
        if not is_bot and conn.session is not None:
            conn.dashboard = True
            self.dashboard_counts[agent] += 1
            self.human_agents[conn.account_id].add(agent)
        self._agent_changed(conn.account_id, agent, before)
        return self.agent_counts[agent] == 1

    def disconnect(self, conn: Connection) -> bool:
        """Unregisters a socket; True when it was the last of its visitor (or agent)."""
        conn.closed = True
        conn.stop_writer()
        if conn.kind == "visitor":
            self.release_visitor_slot(conn.visitor_id)
            group = self.visitors.get(conn.visitor_id)
            if group is None:
                return False
            group.discard(conn)
            if not group:
                del self.visitors[conn.visitor_id]
                here = self.account_visitors.get(conn.account_id)
                if here is not None:
                    here.discard(conn.visitor_id)
                    if not here:
                        del self.account_visitors[conn.account_id]
                self._announce("visitor", conn.visitor_id, conn.account_id, False, False)
                return True
            return False
        agent = conn.agent_id
        before = self._agent_state(agent)
        group = self.agents.get(conn.account_id)
        if group is not None:
            group.discard(conn)
            if not group:
                del self.agents[conn.account_id]
        self.agent_counts[agent] -= 1
        if self.agent_counts[agent] <= 0:
            del self.agent_counts[agent]
        if conn.dashboard:
            self.dashboard_counts[agent] -= 1
            if self.dashboard_counts[agent] <= 0:
                del self.dashboard_counts[agent]
                humans = self.human_agents.get(conn.account_id)
                if humans is not None:
                    humans.discard(agent)
                    if not humans:
                        del self.human_agents[conn.account_id]
        self._agent_changed(conn.account_id, agent, before)
        return agent not in self.agent_counts

    def _agent_state(self, agent_id: str) -> tuple[bool, bool]:
        return agent_id in self.agent_counts, agent_id in self.dashboard_counts

    def _agent_changed(self, account_id: str, agent_id: str, before: tuple[bool, bool]) -> None:
        online, dashboard = after = self._agent_state(agent_id)
        if after == before:
            return
        self._announce("agent", agent_id, account_id, online, dashboard)
        if dashboard != before[1]:
            self._presence_changed(account_id, agent_id, True)

    def _presence_changed(self, account_id: str, agent_id: str, here: bool) -> None:
        for listener in self.presence_listeners:
            try:
                listener(account_id, agent_id, here)
            except Exception:
                log.exception("presence listener failed")

    # the per-visitor socket cap, counted across nodes

    async def admit_visitor(self, visitor_id: str, most: int) -> bool:
        """Whether a visitor may open one more socket; with several nodes, counted in Redis.

        Each node keeps its own count in one Redis hash per visitor, so a node that dies takes its
        sockets out of the count as soon as the others stop hearing from it (see _live_nodes).
        Redis unreachable: the node's own count decides, as rate limits do."""
        if len(self.visitors.get(visitor_id, ())) >= most:
            return False
        if not self.bus.distributed:
            return True
        key, node = SOCKETS_KEY + visitor_id, self.bus.node_id
        try:
            async with self.bus.redis.pipeline(transaction=False) as pipe:
                pipe.hincrby(key, node, 1).expire(key, SOCKETS_TTL).hgetall(key)
                counts = (await pipe.execute())[2]
            self._live_nodes()  # forgets nodes not heard from: their sockets are gone
            live = {node, *self.remote}
            total = sum(int(v) for k, v in counts.items() if k.decode() in live)
            if total <= most:
                return True
            await self.bus.redis.hincrby(key, node, -1)
            return False
        except Exception as exc:  # Redis down: sockets elsewhere are not counted for a while
            log.warning("socket count in Redis failed (%s); counting this node's only", exc)
            return True

    def release_visitor_slot(self, visitor_id: str) -> None:
        if not self.bus.distributed:
            return
        key, node = SOCKETS_KEY + visitor_id, self.bus.node_id

        async def release() -> None:
            try:
                if await self.bus.redis.hincrby(key, node, -1) <= 0:
                    await self.bus.redis.hdel(key, node)
            except Exception as exc:
                log.warning("socket count in Redis not lowered (%s); it expires by itself", exc)

        task = asyncio.get_running_loop().create_task(release())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def visitor_online(self, visitor_id: str) -> bool:
        return visitor_id in self.visitors or any(
            visitor_id in node.visitors for node in self._live_nodes())

    def agent_online(self, agent_id: str) -> bool:
        return agent_id in self.agent_counts or any(
            agent_id in node.agents for node in self._live_nodes())

    def humans_online(self, account_id: str) -> bool:
        """Whether a human agent has the dashboard open, on any node (Away or not)."""
        return bool(self.dashboard_agents(account_id))

    def dashboard_online(self, agent_id: str) -> bool:
        return agent_id in self.dashboard_counts or any(
            node.agents.get(agent_id, ("", False))[1] for node in self._live_nodes())

    def dashboard_agents(self, account_id: str) -> set[str]:
        agents = set(self.human_agents.get(account_id, ()))
        for node in self._live_nodes():
            agents.update(agent for agent, (account, human) in node.agents.items()
                          if human and account == account_id)
        return agents

    def tell_account_visitors(self, account_id: str, frame: dict[str, Any]) -> int:
        """Sends one frame to every widget of the account connected to this node."""
        text = orjson.dumps(frame).decode()
        sent = 0
        for visitor_id in tuple(self.account_visitors.get(account_id, ())):
            for conn in tuple(self.visitors.get(visitor_id, ())):
                if not conn.offer(None, text):
                    self._drop(conn)
                sent += 1
        return sent

    # presence across nodes: deltas as they happen, a full snapshot every few seconds

    def _live_nodes(self) -> list[RemoteNode]:
        if not self.remote:
            return []
        now = asyncio.get_running_loop().time()
        for node_id in [n for n, node in self.remote.items() if now - node.seen > NODE_TIMEOUT]:
            del self.remote[node_id]  # a node that stopped talking took its sockets with it
        return list(self.remote.values())

    def _announce(self, kind: str, ident: str, account_id: str, online: bool, human: bool) -> None:
        if self.bus.distributed:
            self.bus.publish(Event(PRESENCE, account_id, ident, {
                "node": self.bus.node_id, "kind": kind, "id": ident, "online": online,
                "human": human}))

    def _snapshot(self) -> dict[str, Any]:
        accounts = {conn.agent_id: conn.account_id for group in self.agents.values() for conn in group}
        return {"node": self.bus.node_id, "visitors": list(self.visitors),
                "agents": [[agent, accounts.get(agent, ""), agent in self.dashboard_counts]
                           for agent in self.agent_counts]}

    def start(self) -> None:
        if self.bus.distributed:
            self._heartbeat = asyncio.get_running_loop().create_task(self._beat())

    async def _beat(self) -> None:
        while True:
            self.bus.publish(Event(SNAPSHOT, "", "", self._snapshot()))
            await asyncio.sleep(HEARTBEAT)

    def _on_presence(self, event: Event) -> None:
        if not event.remote:
            return
        data = event.data
        node = self.remote.setdefault(data["node"], RemoteNode())
        node.seen = asyncio.get_running_loop().time()
        if event.name == SNAPSHOT:
            node.visitors = set(data["visitors"])
            before = {agent: account for agent, (account, human) in node.agents.items() if human}
            node.agents = {agent: (account, human) for agent, account, human in data["agents"]}
            after = {agent: account for agent, (account, human) in node.agents.items() if human}
            for agent in before.keys() ^ after.keys():  # a delta lost on the way
                self._presence_changed(before.get(agent) or after[agent], agent, False)
        elif data["kind"] == "visitor":
            (node.visitors.add if data["online"] else node.visitors.discard)(data["id"])
        else:
            was = node.agents.get(data["id"], ("", False))[1]
            if data["online"]:
                node.agents[data["id"]] = (event.account_id, data["human"])
            else:
                node.agents.pop(data["id"], None)
            if was != (data["online"] and data["human"]):
                self._presence_changed(event.account_id, data["id"], False)

    def on_event(self, event: Event) -> None:
        if event.name.startswith("_"):
            if event.name in (PRESENCE, SNAPSHOT):
                self._on_presence(event)
            elif event.name == REVOKED:
                self._on_revoked(event)
            return
        text: str | None = None
        if not event.agents_only and not (event.name == "typing" and event.data.get("userId") is None):
            visitor_conns = self.visitors.get(event.visitor_id)
            if visitor_conns:
                frame = event.frame()
                if event.name.startswith("visitor.") and "notes" in event.data:
                    # Agents' notes about a visitor are for agents only.
                    frame = {"event": event.name, "data": for_visitor(event.data)}
                text = orjson.dumps(frame).decode()
                for conn in tuple(visitor_conns):
                    if not conn.offer(event.seq, text):
                        self._drop(conn)
                if event.name == "visitor.updated" and event.data.get("banned"):
                    for conn in tuple(visitor_conns):
                        self._close(conn, CLOSE_BANNED, "banned")
                elif event.name == "visitor.deleted":
                    for conn in tuple(visitor_conns):
                        self._close(conn, CLOSE_ERASED, "erased")
        agent_conns = self.agents.get(event.account_id)
        if agent_conns:
            text = orjson.dumps(event.frame()).decode()
            for conn in tuple(agent_conns):
                if not conn.offer(event.seq, text):
                    self._drop(conn)

    def _on_revoked(self, event: Event) -> None:
        what = event.data
        for conn in tuple(self.agents.get(event.account_id, ())):
            if what.get("tokenId") and conn.token_id == what["tokenId"]:
                self._close(conn, CLOSE_REVOKED, "token revoked")
            elif what.get("session") and conn.session == what["session"]:
                self._close(conn, CLOSE_REVOKED, "signed out")
            elif what.get("agentId") and conn.agent_id == what["agentId"]:
                if what.get("sessionsOnly") and (conn.session is None or conn.session == what.get("keepSession")):
                    continue
                self._close(conn, CLOSE_REVOKED, "credentials changed")

    def _drop(self, conn: Connection) -> None:
        self.dropped += 1
        log.warning("dropping a %s socket that fell %d events behind", conn.kind, self.max_queue)
        self._close(conn, CLOSE_OVERFLOW, "too slow")

    def _close(self, conn: Connection, code: int, reason: str) -> None:
        if conn.closed:
            return
        conn.closed = True
        conn.stop_writer()

        async def close() -> None:
            try:
                await asyncio.wait_for(conn.close(code, reason), 5)
            except Exception:
                pass

        asyncio.get_running_loop().create_task(close())

    async def shutdown(self) -> None:
        """Tell every client to reconnect (elsewhere): 1001 going away."""
        conns = [c for group in (*self.visitors.values(), *self.agents.values()) for c in group]
        for conn in conns:
            self._close(conn, CLOSE_GOING_AWAY, "server restarting")
        await asyncio.sleep(0)

    def stop(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        self._unsubscribe()

    def stats(self) -> dict[str, Any]:
        return {"sockets": self.open_sockets, "dropped": self.dropped}
