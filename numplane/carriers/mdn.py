"""`mdn`: mobile directory numbers, provisioned by a mobile operator outside numplane (SPEC §5).

numplane only records them: they exist only `in_service`, are never searched for or ordered here, and
are deleted on release (the mobile operator owns the line, not the pool).
"""

from __future__ import annotations

from numplane.carriers.stored import StoredCarrier


class MdnCarrier(StoredCarrier):
    name = "mdn"
