"""Process settings, read from the environment in one place (NUMPLANE_*)."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NUMPLANE_", extra="ignore")

    store: str = "sqlite:///./numplane.db"
    db_prefix: str = "numplane"
    debug: bool = False  # GraphiQL, introspection and unmasked errors: development only
    # One log line per request costs ~15 % of a small request; /metrics already counts requests.
    access_log: bool = False
    # Logs (numplane.logs): our own line per request replaces uvicorn's access log.
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    slow_store_ms: int = 250  # a store call slower than this is logged with its request id

    # Defaults of the admin-editable system config (SPEC §11) before an admin changes them.
    default_region: str = "US"
    carriers: str = ""  # comma-separated upstream carriers enabled by default, e.g. "simulated"
    simulated_carrier_failures: str = ""  # E.164 numbers or prefixes whose acquire fails
    simulated_carrier_latency_ms: int = 0

    # Abuse limits (SPEC §12).
    max_depth: int = 10
    max_aliases: int = 30
    max_tokens: int = 5000
    max_document_chars: int = 128 * 1024  # GraphQL document text: parsing a megabyte of it holds a core for seconds
    max_body_bytes: int = 1024 * 1024
    max_upload_body_bytes: int = 11 * 1024 * 1024  # a multipart upload: one 10 MiB document and its envelope
    body_timeout_seconds: float = 10.0  # a request body not received in full by then is refused (408)

    # Requests per API key, per process, as RATE/BURST: RATE per second kept up, BURST at once (issue 15).
    rate_limit_admin: str = "100/1000"
    rate_limit_user: str = "20/200"
    rate_limit_router: str = "1000/5000"  # the hunt: router keys, and GET /hunt with any key
    rate_limit_anonymous: str = "10/100"  # requests without a valid key, per client address
    rate_limit_hold_seconds: float = 1.0  # a refusal is held half this to this long (0: sent at once)

    # Automatic persisted queries: bytes of document text kept by hash per process (0: turned off).
    persisted_queries_bytes: int = 4 * 1024 * 1024

    # Scheduled jobs (SPEC §8).
    scheduler: bool = True
    discovery_expiry_interval_seconds: int = 3600
    aging_interval_seconds: int = 3600
    purge_deleted_interval_seconds: int = 86400
    hold_expiry_interval_seconds: int = 3600
    idempotency_expiry_interval_seconds: int = 3600

    # Idempotency keys: a pending claim older than this belongs to a process that died; a retry takes it
    # over and runs the mutation (so it must exceed the longest mutation).
    idempotency_claim_seconds: int = 300
    port_cutover_interval_seconds: int = 300  # how late after its cut-over time a scheduled port completes

    # How often the change hub reads the store's feeds when idle: other replicas' writes reach this
    # replica's routing cache, subscribers and long-polls within about this long.
    feed_poll_seconds: float = 0.25

    # WebSocket subscriptions (graphql-transport-ws).
    allowed_origins: str = ""  # comma-separated origins of other sites' pages allowed to call the API (CORS, WS)
    max_subscriptions_per_connection: int = 20
    ws_ping_seconds: float = 20.0  # WebSocket ping interval (and pong timeout): dead peers are dropped
    ws_init_timeout_seconds: float = 10.0  # a connection that does not send connection_init is closed
    ws_key_check_seconds: float = 2.0  # open WebSockets re-check their key this often (revoked: closed, 4403)
    max_websockets_per_key: int = 10  # open WebSockets one API key may hold, counted per process
    ws_outbox_messages: int = 20_000  # waiting for one WebSocket (1,000 per subscription); more: closed, too slow
    # WebSocket messages per event-loop turn (a connection's waiting messages go in one write), so deliveries
    # never starve requests.
    ws_sends_per_turn: int = 32  # one full write (numplane.web.fanout.MESSAGES_PER_WRITE)
    # The same while an HTTP request is in flight (1: requests go first, but deliveries crawl under steady traffic).
    ws_sends_per_turn_serving: int = 32
    ws_delivery_share: float = 0.5  # at most this share of time spent sending in a long burst of deliveries

    # Webhooks (issue 12): signed HTTP calls to customers' endpoints for number changes.
    webhooks: bool = True  # run the dispatcher in this process (every replica may; claims share the work)
    webhooks_allow_private: bool = False  # plain http and private/loopback addresses (tests, internal networks)
    webhooks_max_per_account: int = 10
    webhooks_concurrency_per_endpoint: int = 4  # attempts in flight to one endpoint (each number stays in order)
    webhooks_timeout_seconds: float = 5.0
    webhooks_poll_seconds: float = 1.0  # how often an idle endpoint's queue is looked at (writes here wake it)
    webhooks_retry_scale: float = 1.0  # multiplies the retry schedule and the 24-hour limits (tests shorten it)

    # The web console: its sources and builds (console/ beside the package when empty).
    console_dir: str = ""

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_capitals(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @property
    def carrier_list(self) -> tuple[str, ...]:
        return tuple(c.strip() for c in self.carriers.split(",") if c.strip())
