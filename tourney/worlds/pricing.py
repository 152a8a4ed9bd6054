"""The utility of a price to a buyer or seller, as negmas sees it.

``u(x) = (rp - x) / (rp - ip)``: 1 at the initial price, 0 at the reservation
price, for a buyer (``ip < rp``) and a seller (``ip > rp``) alike. This is the
ANEGMA paper's eq. (5) without its discount term. Players read ``ip`` and
``rp`` from it; third-party negmas negotiators just call it.
"""

from __future__ import annotations

from typing import Any

from negmas.preferences import UtilityFunction

from tourney.worlds.fast_ufun import SharedInverseHooks


class PriceUtility(SharedInverseHooks, UtilityFunction):
    """Linear utility of a single price issue, normalised by [ip, rp].

    Its negmas inverters can share one presorted inverse between the utility
    functions of equal prices and ranges (``fast_ufun.share_inverses``, the
    bilateral world); without that it is negmas' own ``restore_inverse_from_cache``.
    """

    def __init__(self, ip: float, rp: float, **kwargs: Any) -> None:
        if ip == rp:
            raise ValueError("initial and reservation prices must differ")
        kwargs.setdefault("reserved_value", 0.0)
        super().__init__(**kwargs)
        self.ip = ip
        self.rp = rp
        self._span = float(rp - ip)

    # negmas' getter asks isinstance(value, Distribution) on every read, and
    # Distribution is a runtime-checkable Protocol (~10 us a read, ~10 % of a
    # negotiation); a plain float is returned as is, anything else goes to negmas.
    @property
    def reserved_value(self) -> float:
        value = self._reserved_value
        return value if type(value) is float else UtilityFunction.reserved_value.fget(self)

    @reserved_value.setter
    def reserved_value(self, value: Any) -> None:
        UtilityFunction.reserved_value.fset(self, value)

    def __call__(self, offer: Any) -> float:
        # negmas' UtilityFunction.__call__ checks an invalid-value marker and
        # constraints before calling eval; PriceUtility sets neither, so the
        # same float comes straight from eval's formula (anything else: negmas).
        if offer is None:
            return self.reserved_value
        if self._invalid_value is not None or self._constraints:
            value: float = UtilityFunction.__call__(self, offer)
            return value
        price: float = offer[0]
        return (self.rp - price) / self._span

    def eval(self, offer: Any) -> float:
        if offer is None:
            return self.reserved_value
        price: float = offer[0]
        return (self.rp - price) / self._span

    def of_price(self, price: float) -> float:
        return (self.rp - price) / self._span


def price_utility(ip: float, rp: float, price: float) -> float:
    """``PriceUtility(ip, rp).of_price(price)`` from plain numbers.

    Worlds score with this, from the prices they drew, never with the
    utility object they handed a player: a player can change its own object
    (even swap its class), not the world's numbers.
    """
    return (rp - price) / float(rp - ip)


def check_buyer_ranges(params: dict[str, Any]) -> None:
    """Raise ValueError when a buyer's initial prices could reach its reservation prices."""
    ip, rp = params.get("buyer_ip", (300, 350)), params.get("buyer_rp", (500, 550))
    if ip[1] >= rp[0]:
        raise ValueError("buyer_rp: a buyer's reservation prices must lie above its initial prices")
