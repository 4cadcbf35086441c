"""A throwaway ``chroma run`` server (the CLI of the chromadb package) for tests and benchmarks."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest


def chroma_cli() -> Path | None:
    exe = Path(sys.executable).parent / "chroma"
    if exe.is_file():
        return exe
    found = shutil.which("chroma")
    return Path(found) if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ChromaServer:
    """``chroma run`` on a free port over a temp dir; ``url`` once :meth:`start` returned."""

    def __init__(self, exe: Path, root: Path | None = None):
        self.exe = exe
        self.root = root or Path(tempfile.mkdtemp(prefix="portal-agent-chroma-"))
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self, timeout: float = 60) -> None:
        self._log = open(self.root / "chroma.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [str(self.exe), "run", "--host", "127.0.0.1", "--port", str(self.port), "--path", str(self.root / "data")],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chroma run did not start: {(self.root / 'chroma.log').read_text()[-2000:]}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self._log is not None:
            self._log.close()


@pytest.fixture()
def chroma_server(tmp_path) -> Iterator[str]:
    """The URL of a fresh Chroma server, stopped after the test."""
    exe = chroma_cli()
    if exe is None:
        pytest.skip("the chroma CLI (from the chromadb package) is not installed")
    server = ChromaServer(exe, tmp_path)
    try:
        server.start()
    except RuntimeError as exc:
        server.stop()
        pytest.fail(str(exc))
    try:
        yield server.url
    finally:
        server.stop()
