"""create_app(settings): the lifespan that opens storage and the bus, and the dispatcher that
serves every endpoint declared in the modules of api.ENDPOINT_MODULES."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
from typing import Any, AsyncIterator

from .api import ENDPOINT_MODULES
from .api.availability import OnlineWatch
from .api.deps import agent_from_socket
from .api.dispatch import BotazApp
from .api.hub import Hub
from .api.registry import ENDPOINTS
from .api.sockets import agent_socket, visitor_socket
from .chat.assignment import AutoAssigner
from .chat.bots import BotRunner
from .chat.context import Chat
from .config import Settings
from .events import EventBus
from .events.redis_bus import RedisEventBus
from . import gc_policy
from .push.sender import PushSender
from .observability import configure_logging, watch_gc
from .ratelimit import MemoryLimiter, RedisLimiter
from .store import Store
from .webhooks.dispatcher import Dispatcher
from .mail.sender import Mailer

for _module in ENDPOINT_MODULES:
    importlib.import_module(_module)

SOCKETS = {"/widget/v1/ws": visitor_socket, "/api/ws": agent_socket}


def create_app(settings: Settings, **state: Any) -> BotazApp:
    @contextlib.asynccontextmanager
    async def lifespan(app: BotazApp) -> AsyncIterator[None]:
        store = await Store.open(settings.database_url)
        bus: EventBus = (RedisEventBus(settings.redis_url, settings.redis_namespace())
                         if settings.redis_url else EventBus())
        await bus.start()
        app.state.chat = Chat(store, bus, settings)
        app.state.hub = Hub(bus, settings.max_queue, store)
        app.state.chat.presence = app.state.hub
        await app.state.hub.start()
        app.state.dispatcher = Dispatcher(app.state.chat, poll_interval=settings.webhook_poll_interval,
                                          backoff_scale=settings.webhook_backoff_scale)
        app.state.dispatcher.start()
        app.state.push = PushSender(app.state.chat, poll_interval=settings.webhook_poll_interval,
                                    backoff_scale=settings.webhook_backoff_scale)
        app.state.push.start()
        app.state.mailer = Mailer(app.state.chat, poll_interval=settings.webhook_poll_interval,
                                  backoff_scale=settings.webhook_backoff_scale)
        app.state.mailer.start()
        app.state.bots = BotRunner(app.state.chat)
        app.state.assigner = AutoAssigner(app.state.chat)
        app.state.online_watch = OnlineWatch(app.state.chat, app.state.hub)
        app.state.online_watch.start()
        app.state.limiter = None
        if settings.rate_limits:
            app.state.limiter = RedisLimiter(settings.redis_url, settings.redis_namespace()) if settings.redis_url else MemoryLimiter()
        gc_policy.start()
        watch_gc()
        freezer = asyncio.get_running_loop().create_task(gc_policy.keep_freezing())
        app.state.smtp = None
        if settings.smtp_port is not None:  # replies by email (docs/email.md)
            from .api.smtp import SmtpReceiver

            app.state.smtp = SmtpReceiver(app.state, settings.host, settings.smtp_port)
            await app.state.smtp.start()
        try:
            yield
        finally:
            if app.state.smtp is not None:
                await app.state.smtp.stop()
            freezer.cancel()
            await app.state.bots.stop()
            await app.state.assigner.stop()
            await app.state.online_watch.stop()
            if app.state.limiter is not None:
                await app.state.limiter.close()
            await app.state.push.stop()
            await app.state.mailer.stop()
            await app.state.dispatcher.stop()
            await app.state.hub.shutdown()
            app.state.hub.stop()
            await bus.stop()
            await store.close()

    app = BotazApp(ENDPOINTS, SOCKETS, lifespan, access_log=os.environ.get("BOTAZ_ACCESS_LOG") == "1")
    app.state.settings = settings
    app.state.agent_from_socket = agent_from_socket
    for key, value in state.items():
        setattr(app.state, key, value)
    return app


def app_from_env() -> BotazApp:
    """For `botaz serve --workers N`: each worker process builds its app from the environment."""
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    return create_app(settings)
