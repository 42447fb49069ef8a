# omnirelay gateway image: small, non-root, built from this repository.
#   docker build -t omnirelay .
#   docker run -p 3000:3000 -v omnirelay-data:/data omnirelay
# The embedded default (SQLite in /data) suits one container; for replicas set
# OMNIRELAY_DATABASE_URL (PostgreSQL) and OMNIRELAY_REDIS_URL (deploy/compose.yaml, deploy/k8s/).
# The offline speech and chat extras are left out (add `.[speech,chat]` and espeak-ng to include them).

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m venv /opt/omnirelay \
    && /opt/omnirelay/bin/pip install --no-compile .

FROM python:3.11-slim-bookworm
ENV PATH=/opt/omnirelay/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OMNIRELAY_HOME=/data \
    OMNIRELAY_SERVER__HOST=0.0.0.0 \
    OMNIRELAY_SERVER__PORT=3000 \
    OMNIRELAY_LOG__FORMAT=json
RUN groupadd --system --gid 10001 omnirelay \
    && useradd --system --uid 10001 --gid omnirelay --home-dir /data --no-create-home omnirelay \
    && mkdir /data && chown omnirelay:omnirelay /data
COPY --from=build /opt/omnirelay /opt/omnirelay
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/readyz', timeout=2)"]
ENTRYPOINT ["omnirelay"]
CMD ["serve"]
