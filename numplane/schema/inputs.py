"""Input types of the contract, and their conversion to resolver arguments."""

from __future__ import annotations

import strawberry

from numplane.domain.states import State
from numplane.resolvers.bulk import NumberRef as NumberRefValue
from numplane.schema.enums import NumberState, NumberType
from numplane.schema.scalars import JSONObject


@strawberry.input
class NumberRef:
    number: str
    expected_revision: str | None = None

    def to_domain(self) -> NumberRefValue:
        return NumberRefValue(number=self.number, expected_revision=self.expected_revision)


def refs(numbers: list[NumberRef]) -> list[NumberRefValue]:
    return [n.to_domain() for n in numbers]


@strawberry.input
class AddNumbersInput:
    numbers: list[NumberRef]
    state: NumberState
    account_id: str | None = None
    carrier: str | None = "local"
    public_fields: JSONObject | None = None


@strawberry.input(description="reserve / activate")
class AcquireInput:
    numbers: list[NumberRef]
    account_id: str | None = None
    public_fields: JSONObject | None = None


@strawberry.input(description="release, cancel, delete, ...")
class NumbersInput:
    numbers: list[NumberRef]


@strawberry.input
class PortInInput:
    numbers: list[NumberRef]
    account_id: str | None = None
    public_fields: JSONObject | None = None


@strawberry.input(description="holdNumbers: minutes 1-60")
class HoldNumbersInput:
    numbers: list[NumberRef]
    account_id: str | None = None
    minutes: int | None = 30


@strawberry.input(description="extendHolds: minutes 1-60 added to each hold, within max_hold_minutes in all")
class ExtendHoldsInput:
    numbers: list[NumberRef]
    minutes: int


@strawberry.input
class ReturnNumbersInput:
    numbers: list[NumberRef]


@strawberry.input
class UpdateNumberInput:
    number: NumberRef
    public_fields: JSONObject | None = None
    replace: bool | None = False
    features_denied: list[str] | None = strawberry.field(default=None, description="admins only")


@strawberry.input
class HuntInput:
    number: str
    caller_account_id: str | None = None


@strawberry.input
class CreateAccountInput:
    name: str
    parent_account_id: str | None = None


@strawberry.input
class UpdateAccountInput:
    account_id: str
    name: str | None = None
    enabled: bool | None = None
    good_standing: bool | None = None
    allow_number_additions: bool | None = None


@strawberry.input
class CreateApiKeyInput:
    account_id: str
    role: str | None = "user"
    name: str | None = None


@strawberry.input
class UpdateSystemConfigInput:
    released_state: NumberState | None = None
    should_permanently_delete: bool | None = None
    should_age: bool | None = None
    aging_days: int | None = None
    discovery_expiry_days: int | None = None
    history_length: int | None = None
    features_allowed: list[str] | None = None
    carriers: list[str] | None = None
    default_region: str | None = None
    max_batch: int | None = None
    max_hold_minutes: int | None = None
    max_holds_per_account: int | None = None

    def changes(self) -> dict[str, object]:
        """Only what the admin set; unset fields keep their current value."""
        values: dict[str, object] = {
            "released_state": self.released_state,
            "should_permanently_delete": self.should_permanently_delete,
            "should_age": self.should_age,
            "aging_days": self.aging_days,
            "discovery_expiry_days": self.discovery_expiry_days,
            "history_length": self.history_length,
            "features_allowed": self.features_allowed,
            "carriers": self.carriers,
            "default_region": self.default_region,
            "max_batch": self.max_batch,
            "max_hold_minutes": self.max_hold_minutes,
            "max_holds_per_account": self.max_holds_per_account,
        }
        return {k: v for k, v in values.items() if v is not None}


@strawberry.input
class NumberFilter:
    states: list[NumberState] | None = None
    prefix: str | None = strawberry.field(default=None, description='E.164 prefix, e.g. "+1415"')
    carrier: str | None = None
    include_descendants: bool | None = True

    def state_list(self) -> list[State] | None:
        return list(self.states) if self.states else None


@strawberry.input
class NumberChangeFilter:
    account_id: str | None = None
    include_descendants: bool | None = True
    states: list[NumberState] | None = None


@strawberry.input(description="Narrows searchNumbers; every condition set must hold (near orders the results).")
class NumberSearchFilter:
    contains: str | None = strawberry.field(
        default=None,
        description="2-16 digits, letters (keypad: PIZZA = 74992) or * (any digit), anywhere in the national number",
    )
    starts_with: str | None = strawberry.field(
        default=None, description="1-16 digits, letters or *: the national number starts with it (an area code)"
    )
    ends_with: str | None = strawberry.field(default=None, description="1-16 digits, letters or *")
    country: str | None = strawberry.field(default=None, description='ISO 3166 region code, e.g. "GB"')
    locality: str | None = strawberry.field(
        default=None, description="A place as libphonenumber's geocoder names it; case- and accent-insensitive"
    )
    region: str | None = strawberry.field(
        default=None, description='A state or province, e.g. "CA" or "California"; case- and accent-insensitive'
    )
    types: list[NumberType] | None = strawberry.field(default=None, description="Any of these kinds")
    near: str | None = strawberry.field(default=None, description="Numbers sharing the longest prefix with it first")

    def fields(self) -> dict[str, object]:
        return {
            "contains": self.contains, "starts_with": self.starts_with, "ends_with": self.ends_with,
            "country": self.country, "locality": self.locality, "region": self.region,
            "types": [t.value for t in self.types] if self.types is not None else None, "near": self.near,
        }
