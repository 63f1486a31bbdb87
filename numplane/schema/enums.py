"""Enums of the contract. NumberState is the domain's State itself and HuntDisposition the domain's
Disposition, so no conversion table can drift (and a hunt's answer is not translated on the call path)."""

from __future__ import annotations

from enum import Enum

import strawberry

from numplane.domain.hunt import Disposition
from numplane.domain.states import State

strawberry.enum(State, name="NumberState")
NumberState = State  # the strawberry definition now lives on State itself


strawberry.enum(Disposition, name="HuntDisposition")
HuntDisposition = Disposition


@strawberry.enum(description="What kind of number it is, as classifyNumber names it (libphonenumber's types)")
class NumberType(Enum):
    FIXED_LINE = "FIXED_LINE"
    MOBILE = "MOBILE"
    FIXED_LINE_OR_MOBILE = "FIXED_LINE_OR_MOBILE"
    TOLL_FREE = "TOLL_FREE"
    PREMIUM_RATE = "PREMIUM_RATE"
    SHARED_COST = "SHARED_COST"
    VOIP = "VOIP"
    PERSONAL_NUMBER = "PERSONAL_NUMBER"
    PAGER = "PAGER"
    UAN = "UAN"
    VOICEMAIL = "VOICEMAIL"
    UNKNOWN = "UNKNOWN"
    EMERGENCY = "EMERGENCY"
    SHORT_CODE = "SHORT_CODE"
