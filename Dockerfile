# numplane's API server. Build: docker build -t numplane .  Run it with docker-compose.yml (CouchDB beside it).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

COPY pyproject.toml /src/
COPY numplane /src/numplane
RUN pip install /src && rm -rf /src

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
