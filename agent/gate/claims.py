"""Which process holds a claim on an approval request, and whether that process still runs.

A request being decided or executed is claimed by one process. If that process is killed, the
claim must not block the request for good, and a restarted process must be able to tell "the
process doing this died" from "another live process is doing this right now" (a CLI chat started
while ``portal-agent serve`` executes an approved change must leave that change alone). A claim
names its holder as ``instance:pid:start``; the start time (from ``/proc`` where there is one)
tells a reused pid from the original process. The instance is the host name, or
``PORTAL_AGENT_INSTANCE_ID`` where a deployment names its replicas itself. A holder on another
instance is judged by its heartbeats (:mod:`agent.gate.heartbeats`).
"""

from __future__ import annotations

import os
import socket


def _stat(pid: int) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after the command name (state first), or [] without /proc."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            # The command name (field 2) may contain spaces; the fields after its ")" are fixed.
            return fh.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot, or "" where ``/proc`` is unavailable."""
    fields = _stat(pid)
    return fields[19] if len(fields) > 19 else ""


def instance() -> str:
    """This host (or replica), as claims name it."""
    return os.environ.get("PORTAL_AGENT_INSTANCE_ID") or socket.gethostname()


def this_process() -> str:
    pid = os.getpid()
    return f"{instance()}:{pid}:{_start_time(pid)}"


def on_this_host(holder: str) -> bool:
    """Whether ``holder`` runs here, where its pid can be checked."""
    return holder.partition(":")[0] == instance()


def holder_alive(holder: str | None) -> bool:
    """Whether the claim holder may still be running.

    A holder on another host cannot be checked from here and counts as alive (the approval store
    asks :class:`agent.gate.heartbeats.Heartbeats` for those instead).
    """
    if not holder:
        return False
    host, _, rest = holder.partition(":")
    pid_text, _, started = rest.partition(":")
    if host != instance():
        return True
    if holder == this_process():
        return True
    try:
        pid = int(pid_text)
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    except (ValueError, OSError):
        return False
    fields = _stat(pid)
    if fields and fields[0] == "Z":  # killed, not yet reaped by its parent
        return False
    return not started or not fields or fields[19] == started
