FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /srv/zhuqi
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
RUN pip install --no-cache-dir -e . && useradd --system --home /srv/zhuqi zhuqi && chown -R zhuqi /srv/zhuqi
USER zhuqi
EXPOSE 8000
CMD ["zhuqi", "serve", "--host", "0.0.0.0", "--port", "8000"]
