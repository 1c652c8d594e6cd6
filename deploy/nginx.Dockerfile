# The reverse proxy of docker-compose.yml: Debian's nginx (the same package tests/ops/test_proxy.py runs the config
# with), as a non-root user. curl is for the healthcheck.
FROM debian:bookworm-slim
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx-light curl \
    && rm -rf /var/lib/apt/lists/*
COPY deploy/nginx.conf /etc/nginx/nginx.conf
USER www-data
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD curl -fsS -o /dev/null http://127.0.0.1:8080/readyz || exit 1
CMD ["nginx", "-e", "stderr", "-g", "daemon off;"]
