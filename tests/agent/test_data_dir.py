"""The data directory and everything in it are private to their owner (agent/private_files.py):
conversations, approvals, the audit log and its key, indexes, the demo cluster's credentials."""

from __future__ import annotations

import os
import stat

from agent.gate.policy import ApprovalDecision
from agent.runtime import Runtime
from agent.service import AgentService
from contract.settings import Settings


def modes(root):
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            full = os.path.join(dirpath, name)
            out[os.path.relpath(full, root)] = stat.S_IMODE(os.lstat(full).st_mode)
    return out


def test_everything_a_demo_session_writes_is_private(tmp_path):
    os.umask(0o022)  # a typical login umask: the data dir must not depend on it
    runtime = Runtime(Settings(data_dir=tmp_path / "data", demo=True))
    service = AgentService(runtime)
    marco, hannah = service.principal("marco.bianchi"), service.principal("hannah.okafor")
    requested = service.ask("restart checkout", marco)  # checkpoints, approvals, audit, demo cluster
    request = requested.interrupt["request"]
    decision = ApprovalDecision(
        request_id=request["id"], decision="approve", approver=hannah.ref, args_hash=request["args_hash"]
    )
    service.decide(decision, hannah)
    from tools.docs.store import DocsStore

    DocsStore.for_runtime(runtime).count()  # the embedded Chroma index

    root = runtime.data_dir
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    found = modes(root)
    for expected in ("audit.jsonl", "audit.key", "audit.head", "checkpoints.sqlite", "portal-agent.db", "chroma"):
        assert expected in found, sorted(found)
    assert "kubernetes/demo-kubeconfig.yaml" in found
    loose = {path: oct(mode) for path, mode in found.items() if mode & 0o077}
    assert loose == {}


def test_a_data_dir_left_open_by_an_earlier_version_is_closed(tmp_path):
    old = tmp_path / "data"
    (old / "chroma").mkdir(parents=True)
    os.chmod(old, 0o755)
    os.chmod(old / "chroma", 0o755)
    for name, mode in (("audit.jsonl", 0o644), ("chroma/index.bin", 0o644), ("tool.sh", 0o755)):
        (old / name).write_text("x")
        os.chmod(old / name, mode)
    runtime = Runtime(Settings(data_dir=old, demo=True))
    assert runtime.data_dir == old
    assert modes(old) == {"audit.jsonl": 0o600, "chroma": 0o700, "chroma/index.bin": 0o600, "tool.sh": 0o700}
    assert stat.S_IMODE(old.stat().st_mode) == 0o700


def test_files_created_after_the_data_dir_are_born_private(tmp_path):
    os.umask(0o022)
    Runtime(Settings(data_dir=tmp_path / "data", demo=True)).data_dir  # noqa: B018 - creates it
    fresh = tmp_path / "data" / "some-library-file.sqlite"
    fresh.write_text("")  # as SQLite, Chroma or a cache would: no explicit mode
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    assert os.umask(0o077) & 0o077 == 0o077  # the umask only ever gains bits
