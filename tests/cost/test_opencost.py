"""The OpenCost client against a local HTTP stand-in serving the published API responses."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from tests.support.cost import fixture_dir
from tools.cost.opencost import OpenCostClient, OpenCostError, accumulate_sets, rightsizing


class StandIn:
    """Serves ``/allocation``: a chosen JSON body per aggregate, and records the query strings."""

    def __init__(self, bodies: dict[str, bytes], status: int = 200):
        self.bodies, self.status, self.requests = bodies, status, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urlparse(self.path)
                outer.requests.append((url.path, parse_qs(url.query)))
                body = outer.bodies.get(parse_qs(url.query).get("aggregate", [""])[0], b"{}")
                if url.path != "/allocation":
                    self.send_response(404)
                    body = b"not found"
                else:
                    self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(
    "fixture,expected",
    [
        (
            "allocation_window7d_aggregate_namespace.json",
            {"kube-system": 1.52743, "opencost": 0.10937, "prometheus": 0.14136},
        ),
        (
            "allocation_compute_window2d_aggregate_namespace.json",
            {"kube-system": 0.425469, "opencost": 0.030644, "prometheus": 0.0},
        ),
    ],
)
def test_published_responses_parse_through_http(fixture, expected):
    body = (fixture_dir("opencost") / fixture).read_bytes()
    with StandIn({"namespace": body}) as server:
        client = OpenCostClient(server.url)
        sets, query = client.allocation(
            window="7d", aggregate="namespace", step="1d", accumulate=True, include_idle=True, share_idle=False
        )
        client.close()
    path, params = server.requests[0]
    assert path == "/allocation"
    assert params == {
        "window": ["7d"],
        "aggregate": ["namespace"],
        "step": ["1d"],
        "accumulate": ["true"],
        "includeIdle": ["true"],
        "shareIdle": ["false"],
    }
    assert query["url"].startswith(server.url + "/allocation?")
    assert len(sets) == 1
    got = {name: a.totalCost for name, a in sets[0].items()}
    assert got == pytest.approx(expected)
    raw = json.loads(body)["data"][0]
    assert sets[0]["opencost"].cpuEfficiency == pytest.approx(raw["opencost"]["cpuEfficiency"])


def test_rightsizing_prices_the_released_requests():
    body = (fixture_dir("opencost") / "allocation_window7d_aggregate_namespace.json").read_bytes()
    with StandIn({"namespace": body}) as server:
        sets, _ = OpenCostClient(server.url).allocation(window="7d", aggregate="namespace")
    allocs = accumulate_sets(sets)
    recs = {r["workload"]: r for r in rightsizing(allocs, min_monthly_saving=0.0)}
    oc = allocs["opencost"]  # cpu request 20 mCPU (below the 50 mCPU step), ram efficiency 28 %
    rec = recs["opencost"]
    assert rec["cpu"]["recommended_cores"] == pytest.approx(oc.cpuCoreRequestAverage, abs=1e-3)  # cannot go lower
    rec_ram = rec["memory"]["recommended_gib"] * 1024**3
    assert rec_ram < oc.ramByteRequestAverage and rec_ram >= oc.ramByteUsageAverage * 1.3 - 1
    ram_part = oc.ramCost * (1 - rec_ram / oc.ramByteRequestAverage)
    assert rec["monthly_saving"] == pytest.approx(ram_part * 730 * 60 / oc.minutes, abs=0.006)
    assert "prometheus" not in recs or recs["prometheus"]["monthly_saving"] >= 0


def test_http_errors_are_reported_in_full():
    body = b'{"code": 500, "message": "bad window"}'
    with StandIn({"namespace": body}, status=200) as server, pytest.raises(OpenCostError, match="bad window"):
        OpenCostClient(server.url).allocation(window="nonsense", aggregate="namespace")
    with StandIn({}, status=400) as server, pytest.raises(OpenCostError, match="HTTP 400"):
        OpenCostClient(server.url).allocation(window="7d", aggregate="namespace")


def test_demo_opencost_answers_in_the_same_shape():
    from datetime import date

    from demo.cost.opencost import DemoOpenCost

    demo = DemoOpenCost(date(2026, 11, 24))
    sets, _ = demo.allocation(window="7d", aggregate="namespace", step="1d", accumulate=False, include_idle=True)
    assert len(sets) == 7 and all("__idle__" in s for s in sets)
    sets, _ = demo.allocation(window="30d", aggregate="controller", accumulate=True)
    recs = rightsizing(accumulate_sets(sets))
    assert recs[0]["workload"] == "deployment:image-resizer"
    assert recs[0]["cpu"]["efficiency"] < 0.1 and recs[0]["memory"]["efficiency"] < 0.1


def test_rightsizing_tool_with_opencost_url_served_locally(tmp_path):
    """The tool goes through OpenCostClient when PORTAL_AGENT_OPENCOST_URL is set."""
    from datetime import date

    import tools.cost
    from agent.runtime import Runtime
    from contract.principal import Principal
    from contract.settings import Settings
    from contract.tooling import ToolContext
    from demo.cost.opencost import DemoOpenCost

    payload = DemoOpenCost(date(2026, 11, 24)).payload(window="7d", aggregate="controller", accumulate=True)
    with StandIn({"controller": json.dumps(payload).encode()}) as server:
        runtime = Runtime(
            Settings(data_dir=tmp_path, opencost_url=server.url),
            builtin_families=False,
            extra_families=[tools.cost.family],
        )
        ctx = ToolContext(runtime, Principal(ref="user:default/guest"))
        result = runtime.tools["cost_rightsizing"].run({"window": "7d"}, ctx)
    assert result.ok, result.error
    assert result.data["recommendations"][0]["workload"] == "deployment:image-resizer"
    assert result.source == f"OpenCost {server.url}"
    assert server.requests[0][1]["window"] == ["7d"]
