"""The HTTP edge: the GraphQL endpoint with authentication and body limits, health and metrics."""
