"""Web Push delivery: alerts for agents whose dashboard is closed (botaz/push/sender.py)."""
