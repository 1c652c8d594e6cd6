# syntax=docker/dockerfile:1
# Two stages: the first builds zhuqi's wheel; the second installs that wheel (not the source tree, not editable)
# with every dependency pinned by constraints.txt, and runs as a non-root user.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
COPY app ./app
COPY migrations ./migrations
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    ZHUQI_ATTACHMENTS_DIR=/var/lib/zhuqi/attachments
COPY constraints.txt /tmp/constraints.txt
COPY --from=build /wheels /tmp/wheels
RUN pip install -c /tmp/constraints.txt /tmp/wheels/zhuqi-*.whl \
    && rm -rf /tmp/wheels /tmp/constraints.txt \
    && useradd --system --create-home --home-dir /srv/zhuqi zhuqi \
    && mkdir -p /var/lib/zhuqi/attachments && chown -R zhuqi /var/lib/zhuqi
# The attachments directory exists in the image, owned by zhuqi, so a fresh named volume mounted there inherits it.
USER zhuqi
WORKDIR /srv/zhuqi
EXPOSE 8000
# Ready = database reachable and schema at head (/readyz answers 503 otherwise, which urlopen raises on).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"]
CMD ["zhuqi", "serve", "--host", "0.0.0.0", "--port", "8000"]
