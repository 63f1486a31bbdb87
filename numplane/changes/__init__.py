"""The change feed: one reader of the store per process, fanned out to long-pollers, subscribers and
the routing cache (SPEC §9)."""
