# powerco web image: gunicorn serving Django, static files served by whitenoise.
# Build stage compiles psycopg2 against libpq; the runtime stage only needs libpq5.

FROM python:3.11-slim AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev libpq-dev \
    && rm -rf /var/lib/apt/lists/*
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
COPY pyproject.toml uv.lock ./
# --frozen: exactly the locked versions; --no-dev: no test tools in production.
RUN uv sync --frozen --no-dev --no-install-project

FROM python:3.11-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin powerco
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=powerco.settings \
    DEBUG=0
WORKDIR /app
COPY --from=build /app/.venv /app/.venv
COPY manage.py ./
COPY powerco ./powerco
COPY adoption ./adoption
COPY templates ./templates
COPY static ./static
COPY locale ./locale
COPY docker ./docker
# Settings refuse to load without a real key when DEBUG is off; this one only lives in this
# build step, to hash and compress the static files into the image.
RUN SECRET_KEY=collectstatic-only-key-not-used-at-run-time-0000000000 \
    python manage.py collectstatic --no-input -v 0 \
    && mkdir -p /app/import-reports && chown powerco /app/import-reports
USER powerco
EXPOSE 8000
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["gunicorn", "--config", "powerco/gunicorn.conf.py", "powerco.wsgi:application"]
