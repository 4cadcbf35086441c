"""The two HTML pages: ``/`` (full-page chat) and ``/approvals``. Both are the widget in a mode."""

from __future__ import annotations

from html import escape

TITLES = {"page": "portal-agent", "approvals": "portal-agent · approvals"}

TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>html,body{{margin:0;height:100%;}} body{{font-family:system-ui,sans-serif;}}</style>
</head>
<body>
<portal-agent-chat mode="{mode}" style="display:block;height:100vh"></portal-agent-chat>
<script src="/widget.js" data-auto="false"></script>
</body>
</html>
"""

# Pages and assets only load from this server; answers are rendered as escaped text by the widget.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)


def page(kind: str) -> str:
    mode = "approvals" if kind == "approvals" else "page"
    return TEMPLATE.format(title=escape(TITLES[mode]), mode=mode)
