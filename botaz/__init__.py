"""botaz: a self-hosted live-chat server that speaks the Bot.Az REST API."""

__version__ = "0.1.0"
