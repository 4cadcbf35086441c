"""Server mode: ``PORTAL_AGENT_CHROMA_URL`` makes the index use a real ``chroma run`` process."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.docs import DATA, ctx, docs_runtime
from tools.docs.indexer import index_runtime
from tools.docs.store import DocsStore


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def chroma_server(tmp_path):
    exe = Path(sys.executable).parent / "chroma"
    if not exe.exists():
        exe = Path(shutil.which("chroma") or "")
    if not exe.is_file():
        pytest.skip("the chroma CLI (from the chromadb package) is not installed")
    port = _free_port()
    log = open(tmp_path / "chroma.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [str(exe), "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(tmp_path / "server-data")],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"chroma run did not start: {(tmp_path / 'chroma.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_index_and_search_against_a_chroma_server(tmp_path, chroma_server):
    runtime = docs_runtime(tmp_path / "data", catalog=[DATA / "catalog.yaml"], chroma_url=chroma_server)
    report = index_runtime(runtime)
    assert report.pages == 5 and report.chunks_total > 5
    assert not (tmp_path / "data" / "chroma").exists()  # nothing embedded locally
    store = DocsStore.for_runtime(runtime)
    assert store.where == chroma_server

    result = runtime.tools["search_docs"].run(
        {"query": "how many times are carrier label requests retried?"}, ctx(runtime)
    )
    assert result.ok and result.data["relevant"]
    assert result.data["results"][0]["url"].endswith("/shipping-svc/carriers/#label-retries")

    # A second process (a fresh runtime) sees the same index on the server: nothing to re-embed.
    other = docs_runtime(tmp_path / "other", catalog=[DATA / "catalog.yaml"], chroma_url=chroma_server)
    again = index_runtime(other)
    assert again.pages_unchanged == 5 and again.chunks_added == 0
