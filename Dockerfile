# syntax=docker/dockerfile:1
# The same steps as the Makefile (`make install`, `make static`, `make serve`), from the
# same requirements source (pyproject.toml), so the image and a developer's machine agree.

FROM python:3.12-slim-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md Makefile manage.py ./
COPY site ./site
COPY networks ./networks
COPY resources ./resources
COPY forums ./forums
COPY search ./search
COPY templates ./templates
COPY vendor ./vendor
RUN make install VENV=/opt/venv
# collectstatic needs settings but no secrets: a throwaway key for this step only.
RUN DJANGO_SETTINGS_MODULE=config.settings.production \
    SECRET_KEY=collectstatic-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz \
    make static VENV=/opt/venv

FROM python:3.12-slim-bookworm
RUN apt-get update \
    && apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin staffroom
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=root:root /app /app
RUN mkdir -p /app/media && chown staffroom /app/media
ENV DJANGO_SETTINGS_MODULE=config.settings.production \
    PYTHONPATH=/app/site:/app \
    PYTHONUNBUFFERED=1 \
    VENV=/opt/venv \
    HOST=0.0.0.0 \
    PORT=8000
USER staffroom
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/opt/venv/bin/python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
CMD ["make", "serve"]
