"""Connectors: who is asking (Slack, the web), translated into agent turns."""
