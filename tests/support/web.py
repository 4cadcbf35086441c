"""A self-contained organisation for the web tests, driven by the real offline planner.

It reuses the agent tests' small catalog (team-widgets owns widget-api in production and
widget-lab, experimental) and adds a test-only family: a docs tool that returns a citation and a
Markdown table, a chart tool that writes an SVG under ``data_dir/charts``, and the mutating
``restart_widget`` tool, each reachable by an offline-planner intent so that answers stream token
by token exactly as with the built-in families.

Also the tests' HTTP side: bearer tokens for its users, runs posted and their SSE parsed, and the
app served by uvicorn on a loopback port.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel, Field

from agent.runtime import Runtime
from contract.intents import Answer, CallTools, Intent, PlanState, ToolCallSpec
from contract.settings import Settings
from contract.tooling import Citation, PortalTool, Preview, ToolResult
from tests.support.agent import DATA, WidgetArgs, run_restart
from tools.registry import ToolFamily

DOC_URL = "https://docs.example.test/widgets/deploy"


class TopicArgs(BaseModel):
    topic: str = Field("deploy", description="What to look up")


def _docs(args: TopicArgs, ctx) -> ToolResult:
    return ToolResult(
        data={
            "answer": "Deploy widgets with `widgetctl deploy`, one environment at a time.",
            "steps": [["staging", "widgetctl deploy --env staging"], ["prod", "widgetctl deploy --env prod"]],
        },
        citations=[Citation(title="Deploying widgets", url=DOC_URL, snippet="widgetctl deploy")],
        refs=["component:default/widget-api"],
    )


def _chart(args: TopicArgs, ctx) -> ToolResult:
    folder = ctx.runtime.data_dir / "charts"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "widget-cost.svg"
    path.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="120" viewBox="0 0 240 120">'
        '<rect width="240" height="120" fill="#f4f6fb"/>'
        '<polyline fill="none" stroke="#3366cc" stroke-width="3" points="10,100 60,80 110,85 160,40 230,30"/>'
        '<text x="10" y="18" font-size="12">widget-api cost</text></svg>',
        encoding="utf-8",
    )
    # The same chart as PNG too, in the shape tools/cost/charts.py returns: the widget shows one image.
    png = folder / "widget-cost.png"
    png.write_bytes(
        base64.b64decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
        )
    )
    chart = {"png": str(png), "svg": str(path), "png_url": f"/charts/{png.name}", "svg_url": f"/charts/{path.name}"}
    return ToolResult(data={"total": 1234.5, "currency": "USD", "chart": chart})


SLOW_SECONDS = 3.0


def _slow(args: TopicArgs, ctx) -> ToolResult:
    """A read that takes a while, so that a test can stop the run while it is going."""
    import time

    time.sleep(SLOW_SECONDS)
    return ToolResult(data={"report": "all widgets nominal"})


def _plan_slow(state: PlanState):
    found = state.result_of("widget_slow_report")
    if found is None:
        return CallTools(calls=[ToolCallSpec(name="widget_slow_report", args={"topic": "report"})])
    return Answer(text=f"Report: {found.data['report']}.")


def _name(state: PlanState) -> dict[str, Any] | None:
    match = re.search(r"\b(widget-[a-z]+)\b", state.utterance)
    return {"name": match.group(1)} if match else None


def _plan_docs(state: PlanState):
    found = state.result_of("widget_docs")
    if found is None:
        return CallTools(calls=[ToolCallSpec(name="widget_docs", args={"topic": "deploy"})])
    data = found.data or {}
    rows = "\n".join(f"| {env} | `{cmd}` |" for env, cmd in data.get("steps", []))
    text = (
        f"{data.get('answer', '')}\n\n| environment | command |\n| --- | --- |\n{rows}\n\n"
        f"See [Deploying widgets]({DOC_URL}) [1]."
    )
    return Answer(text=text, refs=["component:default/widget-api"])


def _plan_chart(state: PlanState):
    found = state.result_of("widget_cost_chart")
    if found is None:
        return CallTools(calls=[ToolCallSpec(name="widget_cost_chart", args={"topic": "cost"})])
    return Answer(text=f"widget-api cost **{found.data['total']} {found.data['currency']}** last month.")


def _plan_restart(state: PlanState):
    found = state.result_of("restart_widget")
    if found is None:
        return CallTools(calls=[ToolCallSpec(name="restart_widget", args={"name": state.slots["name"], "replicas": 2})])
    if found.ok:
        return Answer(
            text=f"Restarted **{found.data['restarted']}** with {found.data['replicas']} replicas.",
            refs=[f"component:default/{state.slots['name']}"],
        )
    return Answer(text=f"Nothing was restarted: {found.error}")


def web_family() -> ToolFamily:
    restart = PortalTool(
        name="restart_widget",
        description="Restart a widget service (test-only mutating tool).",
        args_schema=WidgetArgs,
        func=run_restart,
        family="webtest",
        mutating=True,
        action="restart",
        target=lambda a, ctx: f"component:default/{a.name}",
        preview=lambda a, ctx: Preview(summary=f"would restart {a.name} with {a.replicas} replicas"),
        risk="medium",
    )
    docs = PortalTool(
        name="widget_docs", description="Widget documentation.", args_schema=TopicArgs, func=_docs, family="webtest"
    )
    chart = PortalTool(
        name="widget_cost_chart",
        description="Widget cost with a chart.",
        args_schema=TopicArgs,
        func=_chart,
        family="webtest",
    )
    slow = PortalTool(
        name="widget_slow_report",
        description="A widget report that takes a few seconds.",
        args_schema=TopicArgs,
        func=_slow,
        family="webtest",
    )
    intents = [
        Intent(
            name="webtest.slow",
            family="webtest",
            summary="a slow widget report",
            examples=[
                "slow report on widgets",
                "give me the slow widget report",
                "run the slow report",
                "slow report please",
                "the slow widgets report",
                "widget slow report",
                "slow report for widget-api",
                "produce the slow report",
            ],
            patterns=[r"\bslow report\b"],
            extract=lambda s: {},
            plan=_plan_slow,
            requires=("widget_slow_report",),
        ),
        Intent(
            name="webtest.docs",
            family="webtest",
            summary="how to deploy widgets",
            examples=[
                "how do I deploy widgets?",
                "how to deploy a widget",
                "widget deployment steps",
                "deploying widgets",
                "what are the steps to deploy widgets",
                "deploy widget howto",
                "guide for deploying widgets",
                "widget deploy docs",
            ],
            patterns=[r"\bdeploy"],
            extract=lambda s: {},
            plan=_plan_docs,
            requires=("widget_docs",),
        ),
        Intent(
            name="webtest.chart",
            family="webtest",
            summary="widget cost chart",
            examples=[
                "what did widgets cost?",
                "widget cost chart",
                "show widget costs",
                "cost of widgets",
                "widget spend last month",
                "how much do widgets cost",
                "widget cost trend",
                "chart the widget cost",
            ],
            patterns=[r"\bcost"],
            extract=lambda s: {},
            plan=_plan_chart,
            requires=("widget_cost_chart",),
        ),
        Intent(
            name="webtest.restart",
            family="webtest",
            summary="restart a widget service",
            examples=[
                "restart widget-api",
                "please restart widget-lab",
                "restart the widget-api service",
                "bounce widget-api",
                "can you restart widget-lab",
                "restart widget-lab now",
                "roll widget-api",
                "restart service widget-api",
            ],
            patterns=[r"\brestart\b"],
            extract=_name,
            plan=_plan_restart,
            requires=("restart_widget",),
        ),
    ]
    return ToolFamily(name="webtest", tools=lambda rt: [restart, docs, chart, slow], intents=lambda rt: intents)


def make_web_runtime(data_dir: Path, **settings: Any) -> Runtime:
    base = {"data_dir": data_dir, "catalog": [str(DATA / "catalog.yaml")], "admin_groups": ["team-admins"]}
    return Runtime(Settings(**{**base, **settings}), extra_families=[web_family()], builtin_families=False)


TOKENS = [
    "tok-wendy=user:default/wendy.owner",
    "tok-olga=user:default/olga.oncall",
    "tok-oscar=user:default/oscar.other",
    "tok-ada=user:default/ada.admin",
]


def auth(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer tok-{name}"}


def parse_sse(text: str) -> list[tuple[str, Any]]:
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        if not block.strip():
            continue
        event, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip(" "))
        events.append((event, json.loads("\n".join(data)) if data else None))
    return events


async def run(
    client: httpx.AsyncClient, thread_id: str, body: dict[str, Any], who: str | None = "wendy", **headers: str
) -> list[tuple[str, Any]]:
    hdrs = {**(auth(who) if who else {}), **headers}
    response = await client.post(
        f"/threads/{thread_id}/runs/stream", json={"assistant_id": "agent", **body}, headers=hdrs
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return parse_sse(response.text)


async def refused(
    client: httpx.AsyncClient, thread_id: str, body: dict[str, Any], who: str | None = "wendy", **headers: str
) -> httpx.Response:
    """A run refused before it started: its real status code and a JSON ``detail``, never a stream."""
    hdrs = {**(auth(who) if who else {}), **headers}
    response = await client.post(
        f"/threads/{thread_id}/runs/stream", json={"assistant_id": "agent", **body}, headers=hdrs
    )
    assert response.status_code >= 400, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers["content-type"]
    assert "detail" in response.json()
    return response


def ask_body(text: str, modes: list[str] | str = "values") -> dict[str, Any]:
    return {"input": {"messages": [{"role": "user", "content": text}]}, "stream_mode": modes}


class LiveServer:
    """The app under uvicorn on a free loopback port, in a background thread of this process."""

    def __init__(self, app):
        import socket
        import threading

        import uvicorn

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = app
        self.server = uvicorn.Server(
            uvicorn.Config(
                app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on", proxy_headers=False
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> LiveServer:
        import time

        self.thread.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the web server did not become ready within 60 s")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
