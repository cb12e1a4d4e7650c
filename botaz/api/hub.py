"""The WebSocket hub: fans events from the bus out to the sockets that may hear them.

Each socket has a bounded queue of frames, drained by a writer task while it is not empty.
Publishing never awaits: a socket whose queue is full (a stalled or slow client) is dropped, so
it can neither stall the others nor grow memory without bound.

With several nodes, events from the others come through Redis pub/sub, which forgets whatever
was published while this node's subscription was broken. The hub remembers which messages reached
it in the last minute; when the bus reports a gap closed (botaz/events/redis_bus.py), it reads
the messages it may have missed from the store and sends each open socket the ones it should have
had, in order and none twice, holding live events back meanwhile (catch-up).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict, deque
from typing import Any

import orjson
from starlette.types import Send

from ..chat.views import for_visitor, message_json
from ..events import REVOKED, Event, EventBus
from ..events.redis_bus import RedisEventBus

log = logging.getLogger("botaz.hub")

CLOSE_OVERFLOW = 4008  # policy: the client did not keep up
CLOSE_BANNED = 4403
CLOSE_ERASED = 4404
CLOSE_REVOKED = 4401
CLOSE_GOING_AWAY = 1001
CLOSE_TRY_AGAIN = 1012  # the client reconnects and resumes by itself


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

    def offer(self, seq: int | None, text: str, catching_up: bool = False) -> bool:
        """Queue a frame; False when the client is max_queue frames behind (never while it is
        being sent what it missed: that burst is bounded by the store's rows)."""
        if self.closed:
            return True
        if self.pending is None:
            self.pending = []
        elif len(self.pending) >= self.max_queue and not catching_up:
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


# "<namespace>:sockets:<visitor ID>": a hash of node ID -> open sockets
SOCKETS_TTL = 86_400

PRESENCE = "_presence"
SNAPSHOT = "_presence_snapshot"
HEARTBEAT = 5.0
NODE_TIMEOUT = 15.0


class RemoteNode:
    __slots__ = ("seen", "visitors", "agents")

    def __init__(self) -> None:
        self.seen = 0.0
        self.visitors: dict[str, str] = {}  # visitor -> account
        self.agents: dict[str, tuple[str, bool]] = {}  # agent -> (account, human)


# Catch-up after a broken subscription (several nodes only).
# How long the seq of a message that reached this hub is remembered: longer than a break takes to
# notice (redis_bus.SILENCE) plus IN_FLIGHT_S.
RECENT_S = 30
IN_FLIGHT_S = 5.0  # a message is published within this long of taking its seq
CATCH_UP_PAGE = 1000
CATCH_UP_TRIES = 10  # one a second; then every client is asked to reconnect and resume itself


class Hub:
    def __init__(self, bus: EventBus, max_queue: int = 256, store: Any = None) -> None:
        self.bus = bus
        self.store = store
        self.sockets_key = f"{getattr(bus, 'namespace', 'botaz')}:sockets:"  # + visitor ID
        # Seqs of the messages that reached this hub lately, in order of arrival, and the highest
        # seq of those forgotten: every message up to it reached this node long ago.
        self._arrivals: deque[tuple[int, list[int]]] = deque()  # (second, seqs that came in it)
        self._arrived: set[int] = set()
        self._settled = 0
        self._gap_floor: int | None = None  # set while a gap is open or being caught up
        self._held: list[Event] | None = None  # live events held back during a catch-up
        self._catching_up: asyncio.Task[None] | None = None
        self._rerun = False
        self.caught_up = 0
        if bus.distributed:
            bus.gap_listeners.append(self)
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
        # What each visitor's sockets on this node share: frame budget, typing gate (inbound.py).
        self.inbound: dict[str, Any] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._unsubscribe = bus.subscribe(self.on_event)

    @property
    def open_sockets(self) -> int:
        return sum(map(len, self.visitors.values())) + sum(map(len, self.agents.values()))

    def connect(self, conn: Connection, *, is_bot: bool = False) -> bool:
        """Registers a socket; True when it is the first of its visitor (or agent)."""
        if conn.kind == "visitor":
            visitor_id = conn.visitor_id
            assert visitor_id is not None  # a visitor's socket has one
            group = self.visitors[visitor_id]
            group.add(conn)
            first = len(group) == 1
            if first:
                self.account_visitors[conn.account_id].add(visitor_id)
                self._announce("visitor", visitor_id, conn.account_id, True, False)
            return first
        agent = conn.agent_id
        assert agent is not None  # an agent's socket has one
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
            visitor_id = conn.visitor_id
            assert visitor_id is not None
            self.release_visitor_slot(visitor_id)
            group = self.visitors.get(visitor_id)
            if group is None:
                return False
            group.discard(conn)
            if not group:
                del self.visitors[visitor_id]
                self.inbound.pop(visitor_id, None)
                here = self.account_visitors.get(conn.account_id)
                if here is not None:
                    here.discard(visitor_id)
                    if not here:
                        del self.account_visitors[conn.account_id]
                self._announce("visitor", visitor_id, conn.account_id, False, False)
                return True
            return False
        agent = conn.agent_id
        assert agent is not None
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
        bus = self.bus
        if not isinstance(bus, RedisEventBus):  # one node: its own count is the count
            return True
        key, node = self.sockets_key + visitor_id, bus.node_id
        try:
            async with bus.redis.pipeline(transaction=False) as pipe:
                pipe.hincrby(key, node, 1)
                pipe.expire(key, SOCKETS_TTL)
                pipe.hgetall(key)
                counts = (await pipe.execute())[2]
            self._live_nodes()  # forgets nodes not heard from: their sockets are gone
            live = {node, *self.remote}
            total = sum(int(v) for k, v in counts.items() if k.decode() in live)
            if total <= most:
                return True
            await bus.redis.hincrby(key, node, -1)
            return False
        except Exception as exc:  # Redis down: sockets elsewhere are not counted for a while
            log.warning("socket count in Redis failed (%s); counting this node's only", exc)
            return True

    def release_visitor_slot(self, visitor_id: str) -> None:
        bus = self.bus
        if not isinstance(bus, RedisEventBus):
            return
        key, node = self.sockets_key + visitor_id, bus.node_id

        async def release() -> None:
            try:
                if await bus.redis.hincrby(key, node, -1) <= 0:
                    await bus.redis.hdel(key, node)
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

    def online_visitors(self, account_id: str) -> set[str]:
        """The account's visitors whose widget is connected to any node."""
        here = {vid for vid, conns in self.visitors.items()
                if any(conn.account_id == account_id for conn in conns)}
        for node in self._live_nodes():
            here.update(vid for vid, account in node.visitors.items() if account == account_id)
        return here

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
        pairs = [(vid, next(iter(conns)).account_id) for vid, conns in self.visitors.items() if conns]
        return {"node": self.bus.node_id, "visitors": [vid for vid, _ in pairs],
                "visitorAccounts": [account for _, account in pairs],
                "agents": [[agent, accounts.get(agent, ""), agent in self.dashboard_counts]
                           for agent in self.agent_counts]}

    async def start(self) -> None:
        if self.bus.distributed:
            if self.store is not None:  # every message stored before now was published before now
                self._settled = await self.store.last_message_seq()
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
            # visitorAccounts runs beside visitors (absent from older nodes: accounts unknown).
            node.visitors = dict(zip(data["visitors"], data.get("visitorAccounts")
                                     or [""] * len(data["visitors"])))
            before = {agent: account for agent, (account, human) in node.agents.items() if human}
            node.agents = {agent: (account, human) for agent, account, human in data["agents"]}
            after = {agent: account for agent, (account, human) in node.agents.items() if human}
            for agent in before.keys() ^ after.keys():  # a delta lost on the way
                self._presence_changed(before.get(agent) or after[agent], agent, False)
        elif data["kind"] == "visitor":
            if data["online"]:
                node.visitors[data["id"]] = event.account_id
            else:
                node.visitors.pop(data["id"], None)
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
        if self._held is not None:
            self._held.append(event)
            return
        if event.seq is not None and self.bus.distributed and not self._arrive(event.seq):
            return  # a copy: a publisher's retry, or a message a catch-up already sent
        self._fan_out(event)

    def _fan_out(self, event: Event, catching_up: bool = False) -> None:
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
                    if not conn.offer(event.seq, text, catching_up):
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
                if not conn.offer(event.seq, text, catching_up):
                    self._drop(conn)

    # catch-up after the bus between nodes broke

    def _arrive(self, seq: int) -> bool:
        """Remembers a message's arrival; False when it already came."""
        if seq in self._arrived:
            return False
        second = int(time.monotonic())
        self._arrived.add(seq)
        arrivals = self._arrivals
        if arrivals and arrivals[-1][0] == second:
            arrivals[-1][1].append(seq)
            return True
        arrivals.append((second, [seq]))
        if self._gap_floor is None:
            while arrivals[0][0] < second - RECENT_S:
                _, old = arrivals.popleft()
                self._arrived.difference_update(old)
                self._settled = max(self._settled, *old)
        return True

    def gap_opened(self, heard_at: float) -> None:
        """Messages that reached this node more than IN_FLIGHT_S before the bus was last heard
        working were taken before anything it may have missed: the highest of their seqs is the
        floor above which the store is read when the gap closes."""
        if self._gap_floor is not None:
            return
        since = heard_at - IN_FLIGHT_S
        floor = self._settled
        for second, seqs in self._arrivals:
            if second + 1 > since:  # a second that ended before `since` only
                break
            floor = max(floor, *seqs)
        self._gap_floor = floor

    def gap_closed(self) -> None:
        if self._gap_floor is None:
            return
        if self._held is None:
            self._held = []
        if self._catching_up is not None:
            self._rerun = True
            return
        self._catching_up = asyncio.get_running_loop().create_task(self._catch_up())

    async def _catch_up(self) -> None:
        try:
            while True:
                self._rerun = False
                floor = self._gap_floor or 0
                for attempt in range(CATCH_UP_TRIES):
                    try:
                        await self._replay(floor)
                        break
                    except asyncio.CancelledError:
                        raise
                    except Exception as exc:
                        log.warning("catch-up from the store failed (%s); retrying", exc)
                        await asyncio.sleep(1.0)
                else:
                    log.error("sockets could not catch up; asking every client to resume")
                    for conn in [c for g in (*self.visitors.values(), *self.agents.values()) for c in g]:
                        self._close(conn, CLOSE_TRY_AGAIN, "missed events: reconnect and resume")
                if not self._rerun:
                    break
        finally:
            held, self._held = self._held or [], None
            self._catching_up = None
            if not getattr(self.bus, "broken", False):
                self._gap_floor = None
            for event in held:
                self.on_event(event)

    def lost_elsewhere(self, seqs: list[int]) -> None:
        """Another node's outbox overflowed: its dropped messages are read from the store and
        sent now, late (after newer ones) but once."""
        task = asyncio.get_running_loop().create_task(self._send_lost([int(s) for s in seqs]))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _send_lost(self, seqs: list[int]) -> None:
        try:
            rows = await self.store.list_messages_by_seq(seqs)
        except Exception as exc:
            log.error("messages lost between nodes could not be read (%s); asking clients to resume", exc)
            for conn in [c for g in (*self.visitors.values(), *self.agents.values()) for c in g]:
                self._close(conn, CLOSE_TRY_AGAIN, "missed events: reconnect and resume")
            return
        await self._deliver_rows(rows)

    async def _replay(self, floor: int) -> None:
        """Sends every open socket the stored messages after `floor` that never reached it."""
        hidden: dict[str, bool] = {}
        after = floor
        while True:
            rows = await self.store.list_messages_since(after, CATCH_UP_PAGE)
            if rows:
                after = int(rows[-1]["seq"])
            await self._deliver_rows(rows, hidden)
            if len(rows) < CATCH_UP_PAGE:
                return

    async def _deliver_rows(self, rows: list[Any], hidden: dict[str, bool] | None = None) -> None:
        """Stored messages as message.created to the sockets here, skipping those that came."""
        if hidden is None:
            hidden = {}  # visitor -> bot messages hidden from their side
        for row in rows:
            seq = int(row["seq"])
            if seq in self._arrived:
                continue
            account_id, visitor_id = row["account_id"], row["visitor_id"]
            agents_only = False
            if row["by_bot"] and visitor_id in self.visitors:
                if visitor_id not in hidden:  # (a failure here leaves the row for the retry)
                    visitor = await self.store.get_visitor(account_id, visitor_id)
                    hidden[visitor_id] = visitor is None or not visitor["show_bot_messages"]
                agents_only = hidden[visitor_id]
            if not self._arrive(seq) or (account_id not in self.agents and visitor_id not in self.visitors):
                continue
            self.caught_up += 1
            self._fan_out(Event("message.created", account_id, visitor_id, message_json(row),
                                seq=seq, agents_only=agents_only, remote=True), True)

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
        if self._catching_up is not None:
            self._catching_up.cancel()
        self._unsubscribe()

    def stats(self) -> dict[str, Any]:
        return {"sockets": self.open_sockets, "dropped": self.dropped, "caughtUp": self.caught_up}
