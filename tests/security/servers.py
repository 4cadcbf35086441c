"""Real ``portal-agent serve`` processes over the demo organisation, for the security probes.

Each server is the console script itself, in its own process, with its own temporary data
directory, the offline planner and only the settings a probe gives it (no ``PORTAL_AGENT_*``
variable of the calling shell leaks in, no ``portal-agent.yaml`` is read). It listens on a free
loopback port; probes talk to it over HTTP like any client.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def cli() -> list[str]:
    """The installed ``portal-agent`` console script next to this Python, else the module."""
    script = shutil.which("portal-agent", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "portal_agent.cli"]


def clean_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """This process's environment without any ``PORTAL_AGENT_`` setting, plus the demo and ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_AGENT_")}
    env.update(
        {
            "PORTAL_AGENT_DEMO": "true",
            "PORTAL_AGENT_MODEL": "offline",
            "PORTAL_AGENT_DATA_DIR": str(data_dir),
            "PORTAL_AGENT_CONFIG": str(data_dir / "no-such-config.yaml"),
        }
    )
    env.update({f"PORTAL_AGENT_{name.upper()}": value for name, value in settings.items()})
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Served:
    """One ``portal-agent serve`` process; ``url``, ``data_dir`` and ``env`` for its probes."""

    def __init__(self, root: Path, name: str, **settings: str):
        self.data_dir = root / name
        self.data_dir.mkdir(parents=True)
        self.env = clean_env(self.data_dir, **settings)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = root / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Served:
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [*cli(), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=self.data_dir,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return self

    def wait_ready(self, timeout: float = 180.0) -> Served:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"portal-agent serve exited with {self.process.returncode}:\n{self.tail()}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"portal-agent serve was not ready within {timeout:.0f} s:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def run_cli(self, *args: str, timeout: float = 180.0) -> subprocess.CompletedProcess:
        """A ``portal-agent`` command over this server's data directory (its CLI conversations)."""
        return subprocess.run(
            [*cli(), *args], cwd=self.data_dir, env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
