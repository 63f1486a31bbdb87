"""Scheduled jobs (SPEC §8): the lease that makes them run once per period, the scheduler, the CLI."""
