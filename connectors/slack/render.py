"""Block Kit rendering: answers, progress, approval requests and decisions.

Pure functions from agent results to ``(text, blocks)``; no Slack calls here, so the layout can
be tested on its own. Slack's limits are respected: a section holds at most 3,000 characters, a
message at most 50 blocks, a section at most 10 fields of 2,000 characters.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from agent.redact import redact

SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
MAX_BLOCKS = 50
MAX_FIELDS = 10
PREVIEW_LIMIT = 2500

APPROVE_ACTION = "portal_approve"
REJECT_ACTION = "portal_reject"

RISK_BADGE = {"low": ":large_green_circle: low", "medium": ":large_orange_circle: medium", "high": ":red_circle: high"}


# --- thread ids ------------------------------------------------------------------------------------
def thread_id_for(team: str | None, channel: str, thread_ts: str) -> str:
    """The LangGraph thread of a Slack thread: one conversation per Slack thread."""
    return f"slack:{team or '-'}:{channel}:{thread_ts}"


def parse_thread_id(thread_id: str | None) -> tuple[str, str, str] | None:
    """(team, channel, thread_ts) of a thread id made by :func:`thread_id_for`, else None."""
    if not thread_id or not thread_id.startswith("slack:"):
        return None
    parts = thread_id.split(":")
    if len(parts) != 4:
        return None
    return parts[1], parts[2], parts[3]


# --- Markdown → mrkdwn -----------------------------------------------------------------------------
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def escape(text: str) -> str:
    """Slack's three control characters; everything else is literal."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_mrkdwn(markdown: str) -> str:
    """CommonMark-ish answer text in Slack's mrkdwn dialect (bold, links, headings)."""
    out: list[str] = []
    in_code = False
    for line in markdown.splitlines():
        if line.strip().startswith("```"):
            in_code = not in_code
            out.append("```")
            continue
        if in_code:
            out.append(escape(line))
            continue
        line = escape(line)
        line = _HEADING.sub(lambda m: f"*{m.group(1)}*", line)
        line = _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", line)
        line = _BOLD.sub(lambda m: f"*{m.group(1)}*", line)
        line = re.sub(r"^(\s*)[-*]\s+", lambda m: f"{m.group(1)}• ", line)
        out.append(line)
    return "\n".join(out)


def _split_table(lines: list[str]) -> list[list[str]]:
    rows = []
    for line in lines:
        if _TABLE_SEP.match(line):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows.append(cells)
    return rows


def _segments(markdown: str) -> list[tuple[str, Any]]:
    """The answer cut into ("text", str) and ("table", rows) segments."""
    lines = markdown.splitlines()
    segments: list[tuple[str, Any]] = []
    buffer: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        is_table = "|" in line and i + 1 < len(lines) and _TABLE_SEP.match(lines[i + 1]) is not None
        if is_table:
            if buffer:
                segments.append(("text", "\n".join(buffer)))
                buffer = []
            j = i + 2
            while j < len(lines) and "|" in lines[j] and lines[j].strip():
                j += 1
            segments.append(("table", _split_table(lines[i:j])))
            i = j
            continue
        buffer.append(line)
        i += 1
    if buffer:
        segments.append(("text", "\n".join(buffer)))
    return segments


def _chunks(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Cut on paragraph, then line boundaries, so no section exceeds ``limit``."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        parts.append(current)
    return [p for p in parts if p.strip()]


def table_blocks(rows: list[list[str]]) -> list[dict[str, Any]]:
    """A small table as section fields (one field per row); a larger one as a code block."""
    if not rows:
        return []
    header, body = rows[0], rows[1:]
    if body and len(body) <= MAX_FIELDS and len(header) <= 4:
        fields = []
        for row in body:
            first = row[0] if row else ""
            rest = [f"{escape(h)}: {escape(v)}" for h, v in zip(header[1:], row[1:], strict=False)]
            value = rest[0].split(": ", 1)[1] if len(header) == 2 and rest else " · ".join(rest)
            fields.append({"type": "mrkdwn", "text": f"*{escape(first)}*\n{value or ' '}"[:FIELD_LIMIT]})
        return [{"type": "section", "fields": fields}]
    widths = [max(len(r[c]) if c < len(r) else 0 for r in rows) for c in range(len(header))]
    text = "\n".join("  ".join((r[c] if c < len(r) else "").ljust(widths[c]) for c in range(len(header))) for r in rows)
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"```{escape(c)}```"}}
        for c in _chunks(text, SECTION_LIMIT - 6)
    ]


def markdown_blocks(markdown: str) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for kind, value in _segments(markdown):
        if kind == "table":
            blocks.extend(table_blocks(value))
            continue
        for chunk in _chunks(to_mrkdwn(value)):
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
    return blocks


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:FIELD_LIMIT]}]}


def _cap(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    return [*blocks[: MAX_BLOCKS - 1], _context("_(answer shortened to fit in one Slack message)_")]


# --- answers -------------------------------------------------------------------------------------
FEEDBACK_ACTION = "portal_feedback"


def feedback_block(turn: int) -> dict[str, Any]:
    """Slack's thumbs up / down under an answer; the value names the conversation's turn it rates."""
    return {
        "type": "context_actions",
        "elements": [
            {
                "type": "feedback_buttons",
                "action_id": FEEDBACK_ACTION,
                "positive_button": {
                    "text": {"type": "plain_text", "text": "Good answer"},
                    "accessibility_label": "This answer was helpful",
                    "value": f"good:{turn}",
                },
                "negative_button": {
                    "text": {"type": "plain_text", "text": "Bad answer"},
                    "accessibility_label": "This answer was wrong or unhelpful",
                    "value": f"bad:{turn}",
                },
            }
        ],
    }


def parse_feedback_value(value: str) -> tuple[str, int | None]:
    rating, _, turn = value.partition(":")
    return ("bad" if rating == "bad" else "good"), (int(turn) if turn.isdigit() else None)


def answer_message(
    answer: str,
    *,
    citations: list[dict[str, Any]] | None = None,
    refs: list[str] | None = None,
    feedback_turn: int | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """The final answer: sections (tables as fields), then context lines with sources and entities."""
    answer = answer.strip() or "_(no answer)_"
    blocks = markdown_blocks(answer)
    blocks.extend(answer_context(citations=citations, refs=refs))
    if feedback_turn is not None:
        blocks.append(feedback_block(feedback_turn))
    return _fallback(answer), _cap(blocks)


def answer_context(
    *, citations: list[dict[str, Any]] | None = None, refs: list[str] | None = None
) -> list[dict[str, Any]]:
    """The context lines under an answer: its sources and the catalog entities it names."""
    blocks: list[dict[str, Any]] = []
    seen: set[str] = set()
    links = []
    for citation in citations or []:
        url = citation.get("url")
        if not url or url in seen:
            continue
        seen.add(url)
        title = escape(str(citation.get("title") or url))
        links.append(f"<{url}|{title}>" if url.startswith(("http://", "https://")) else f"{title} ({escape(url)})")
    if links:
        blocks.append(_context(":books: Sources: " + " · ".join(links[:10])))
    if refs:
        blocks.append(_context(":label: " + ", ".join(f"`{escape(r)}`" for r in refs[:10])))
    return blocks


def progress_message(partial: str, status: str | None = None) -> tuple[str, list[dict[str, Any]]]:
    """What the thread shows while the answer is being written."""
    blocks = markdown_blocks(partial) if partial.strip() else []
    blocks.append(_context(f":hourglass_flowing_sand: {escape(status or 'working…')}"))
    return _fallback(partial) or (status or "working…"), _cap(blocks)


def error_message(what: str) -> tuple[str, list[dict[str, Any]]]:
    text = f":warning: Sorry, {what}"
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": escape(text)[:SECTION_LIMIT]}}]


def _fallback(text: str) -> str:
    """The notification / screen-reader text of a message (Slack truncates beyond 40k)."""
    return text[:3000]


# --- approvals -----------------------------------------------------------------------------------
def _short(ref: str) -> str:
    kind, _, rest = ref.partition(":")
    name = rest.split("/", 1)[-1] if rest else ref
    return f"{name} ({kind})" if kind in ("group", "user") else ref


def _when(iso: str | None) -> str:
    if not iso:
        return "unknown"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return escape(iso)
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{moment.isoformat()}>"


def button_value(request: dict[str, Any]) -> str:
    """What a button carries: the request id and the hash of the arguments the approver saw."""
    return f"{request['id']}|{request.get('args_hash', '')}"


def parse_button_value(value: str) -> tuple[str, str | None]:
    request_id, _, digest = (value or "").partition("|")
    return request_id, digest or None


def _request_summary(request: dict[str, Any], requested_by_slack: str | None) -> list[dict[str, Any]]:
    request = {**request, "args": redact(request.get("args") or {}), "preview": redact(request.get("preview") or {})}
    preview = request.get("preview") or {}
    args = json.dumps(request.get("args") or {}, sort_keys=True, ensure_ascii=False)
    requester = f"<@{requested_by_slack}>" if requested_by_slack else escape(_short(request.get("requested_by", "")))
    lifecycle = request.get("lifecycle")
    target = escape(request.get("target", ""))
    if lifecycle:
        target += f" ({escape(lifecycle)})"
    action, tool = escape(request.get("action", "")), escape(request.get("tool", ""))
    risk = RISK_BADGE.get(request.get("risk", ""), escape(str(request.get("risk"))))
    fields = [
        {"type": "mrkdwn", "text": f"*Action*\n{action} (`{tool}`)"},
        {"type": "mrkdwn", "text": f"*Target*\n{target}"},
        {"type": "mrkdwn", "text": f"*Risk*\n{risk}"},
        {"type": "mrkdwn", "text": f"*Requested by*\n{requester}"},
        {
            "type": "mrkdwn",
            "text": "*Who may approve*\n"
            + (", ".join(escape(_short(a)) for a in request.get("approvers", [])) or "nobody"),
        },
        {"type": "mrkdwn", "text": f"*Expires*\n{_when(request.get('expires_at'))}"},
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Approval needed", "emoji": True}},
        {"type": "section", "fields": [{**f, "text": f["text"][:FIELD_LIMIT]} for f in fields]},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"*Dry run:* {escape(preview.get('summary', ''))}"[:SECTION_LIMIT]},
        },
    ]
    details = preview.get("details")
    if details:
        shown = details if len(details) <= PREVIEW_LIMIT else details[:PREVIEW_LIMIT] + "\n… (truncated)"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"```{escape(shown)}```"}})
    notes = [f"Arguments: `{escape(args)[:1500]}`", f"Request `{escape(request.get('id', ''))}`"]
    if request.get("four_eyes"):
        notes.append("four eyes: the requester may not approve")
    blocks.append(_context(" · ".join(notes)))
    return blocks


def approval_message(
    request: dict[str, Any], *, requested_by_slack: str | None = None, origin: str | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """The request with Approve / Reject buttons (``origin``: a line saying where it was asked)."""
    blocks = _request_summary(request, requested_by_slack)
    if origin:
        blocks.insert(1, _context(origin))
    value = button_value(request)
    what = f"{escape(request.get('action', ''))} on {escape(request.get('target', ''))}"
    blocks.append(
        {
            "type": "actions",
            "block_id": f"approval:{request['id']}",
            "elements": [
                {
                    "type": "button",
                    "action_id": APPROVE_ACTION,
                    "style": "primary",
                    "value": value,
                    "text": {"type": "plain_text", "text": "Approve"},
                    "confirm": {
                        "title": {"type": "plain_text", "text": "Approve this change?"},
                        "text": {"type": "mrkdwn", "text": what},
                        "confirm": {"type": "plain_text", "text": "Approve"},
                        "deny": {"type": "plain_text", "text": "Cancel"},
                    },
                },
                {
                    "type": "button",
                    "action_id": REJECT_ACTION,
                    "style": "danger",
                    "value": value,
                    "text": {"type": "plain_text", "text": "Reject"},
                },
            ],
        }
    )
    text = (
        f"Approval needed: {request.get('action')} on {request.get('target')} "
        f"(risk {request.get('risk')}, request {request.get('id')})"
    )
    return text, blocks


OUTCOME = {
    "executed": ":white_check_mark: *Approved* by {who} and executed",
    "failed": ":x: *Approved* by {who}, but the action failed",
    "approved": ":white_check_mark: *Approved* by {who}",
    "rejected": ":no_entry_sign: *Rejected* by {who}",
    "refused": ":no_entry: *Not executed* ({reason})",
    "expired": ":hourglass: *Expired* before it was approved",
    "executing": ":warning: *Approved* by {who}; the outcome is unknown",
}


def decision_message(
    request: dict[str, Any], *, status: str, who: str, reason: str | None = None, result: dict[str, Any] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """The request message once decided: buttons replaced by the decision and the result."""
    blocks = _request_summary(request, None)
    blocks[0] = {"type": "header", "text": {"type": "plain_text", "text": "Approval request", "emoji": True}}
    line = OUTCOME.get(status, "*{status}* by {who}").format(
        who=who, reason=escape(reason or status), status=escape(status)
    )
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": line[:SECTION_LIMIT]}})
    if result:
        shown = {k: v for k, v in result.items() if k in ("ok", "data", "error", "note") and v is not None}
        body = json.dumps(shown, ensure_ascii=False, default=str)
        if len(body) > 1500:
            body = body[:1500] + " … (truncated)"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*Result*\n```{escape(body)}```"}})
    text = f"{request.get('action')} on {request.get('target')}: {status}"
    return text, _cap(blocks)
