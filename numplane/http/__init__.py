"""Plain HTTP endpoints beside the GraphQL API (Starlette routes, no GraphQL machinery)."""
