"""Use cases, GraphQL-free: load -> decide (domain) -> save, retried on conflict.

The API, the jobs and the CLI all call these functions; none of them talks to the store directly for a
rule-bearing action.
"""
