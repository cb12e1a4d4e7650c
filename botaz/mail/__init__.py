"""Outgoing email: composing messages (compose.py) and sending the outbox over SMTP (sender.py)."""
