# numplane's API server and web console. Build: docker build -t numplane .  Run it with docker-compose.yml
# (CouchDB beside it).

# The console and GraphiQL are built with Node; only their static files reach the final image.
FROM node:22-slim AS console
WORKDIR /console
COPY console/package.json console/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY console/ ./
RUN npx tsc --noEmit && npx vite build && npx vite build --config vite.ide.config.ts

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

COPY pyproject.toml /src/
COPY numplane /src/numplane
RUN pip install /src && rm -rf /src

# Served at / (and GraphiQL under /graphiql/ when NUMPLANE_DEBUG=1).
COPY --from=console /console/dist /app/console/dist
COPY --from=console /console/ide-dist /app/console/ide-dist
ENV NUMPLANE_CONSOLE_DIR=/app/console

# Never run as root. /data is the working directory so the default embedded store (./numplane.db) is
# writable when no NUMPLANE_STORE is given.
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin numplane \
    && mkdir /data && chown numplane:numplane /data
USER numplane
WORKDIR /data

EXPOSE 8000

# slim has no curl: ask /healthz with the standard library (a non-2xx answer raises, so the check fails).
HEALTHCHECK --interval=15s --timeout=5s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3)"]

CMD ["numplane", "serve", "--host", "0.0.0.0", "--port", "8000"]
