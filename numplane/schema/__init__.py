"""The GraphQL layer: strawberry types over the resolvers, and the one place errors become userErrors."""
