"""The floor the API benchmark compares numplane's listing page with: a bare strawberry app.

It serves the same page shape as numplane (`me { numbers(first: 100) { edges { node { … } } pageInfo } }`,
the same field names, the ten-field variant included) from 100 objects held in memory, with strawberry's
parser and validation caches, on uvicorn with uvloop and httptools and no access log. No store, no keys,
no visibility: whatever numplane costs beyond this is numplane's own.

`python -m benchmarks.bare --port 8001` serves it at /graphql.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from enum import Enum

import strawberry
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.scalars import JSON

MOMENT = datetime(2026, 1, 1, tzinfo=UTC)


@strawberry.enum
class NumberState(Enum):
    IN_SERVICE = "in_service"


@strawberry.type
class Transition:
    action: str
    at: datetime


@strawberry.type
class Account:
    name: str


@strawberry.type
class PhoneNumber:
    e164: str
    state: NumberState
    account: Account | None
    carrier: str
    features: list[str]
    public_fields: JSON
    modified_at: datetime
    audit: strawberry.Private[list[Transition]]

    @strawberry.field
    def history(self, last: int | None = 20) -> list[Transition]:
        return self.audit[-(last or 0):] if last else []


@strawberry.type
class PhoneNumberEdge:
    cursor: str
    node: PhoneNumber


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class PhoneNumberConnection:
    edges: list[PhoneNumberEdge]
    page_info: PageInfo


OWNER = Account(name="tenant")
NUMBERS = [
    PhoneNumber(
        e164=f"+1415555{i:04d}", state=NumberState.IN_SERVICE, account=OWNER, carrier="local", features=[],
        public_fields={}, modified_at=MOMENT,
        audit=[Transition(action="add", at=MOMENT), Transition(action="activate", at=MOMENT)],
    )
    for i in range(100)
]


@strawberry.type
class Me:
    @strawberry.field
    def numbers(self, first: int | None = 50) -> PhoneNumberConnection:
        page = NUMBERS[: first or 0]
        return PhoneNumberConnection(
            edges=[PhoneNumberEdge(cursor=n.e164, node=n) for n in page],
            page_info=PageInfo(has_next_page=True, end_cursor=page[-1].e164 if page else None),
        )


@strawberry.type
class Query:
    @strawberry.field
    def me(self) -> Me:
        return Me()


schema = strawberry.Schema(
    query=Query, extensions=[lambda: ParserCache(maxsize=1000), lambda: ValidationCache(maxsize=1000)]
)
app = Starlette(routes=[Route("/graphql", GraphQL(schema, graphql_ide=None), methods=["GET", "POST"])])


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=args.port, loop="uvloop", http="httptools", access_log=False,
                log_level="warning")


if __name__ == "__main__":
    main()
