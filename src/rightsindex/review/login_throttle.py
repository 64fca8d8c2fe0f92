"""Login throttling, stored in the database so that every web worker (and every machine serving the
same database) sees the same counts.

Failed sign-ins are recorded with the user name and the client address; within a sliding window
(15 minutes) an attempt is refused, before the password is even checked, when:

- its address has failed ``PER_ADDRESS`` times (guessing or password spraying from one place), or
  ``PER_PAIR`` times for this user name;
- the user name has failed ``PER_USERNAME`` times from anywhere (a distributed attack on one
  account, from as many addresses as the attacker likes);
- everyone together has failed ``GLOBAL`` times (a distributed spray), and this address has
  failed at least once in the window.

A browser that signed in to the account before carries a *device* token for it (a signed cookie,
``web.security``; OWASP's "device cookies"): its attempts are counted on their own
(``PER_PAIR`` failures of that device) and pass the address and account limits. So an attack on an
account, from any number of addresses, pauses sign-in to it from new browsers only; its owner,
from a browser they used before, can always sign in, and nobody is locked out for good: every
refusal says how long to wait, and failures older than the window are forgotten. A successful
sign-in clears its address's (and device's) failures for that user name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..store.models import LoginFailure, utcnow

__all__ = ["GLOBAL", "PER_ADDRESS", "PER_PAIR", "PER_USERNAME", "WINDOW", "Verdict", "check", "failed", "succeeded"]

WINDOW = timedelta(minutes=15)
PER_PAIR = 5
PER_ADDRESS = 20
PER_USERNAME = 20
GLOBAL = 200


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str = ""
    retry_after: int = 0  # seconds


def _key(username: str) -> str:
    return (username or "").strip().lower()[:100]


def _address(address: str | None) -> str:
    return (address or "unknown")[:64]


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=utcnow().tzinfo)


def _device(device: str) -> str:
    return ("device:" + device)[:64]


def check(session: Session, username: str, address: str | None, now: datetime | None = None, device: str | None = None) -> Verdict:
    """Whether a sign-in attempt may go ahead. ``device``: the id of a device token this browser
    holds for ``username`` (checked by the caller), if any."""
    now = now or utcnow()
    since = now - WINDOW
    user, addr = _key(username), _address(address)
    recent = select(func.count(), func.min(LoginFailure.at)).where(LoginFailure.at > since)

    def wait(oldest: datetime | None) -> int:
        return max(1, math.ceil(((_aware(oldest) if oldest else now) + WINDOW - now).total_seconds()))

    if device:
        n_dev, dev_oldest = session.execute(recent.where(LoginFailure.address == _device(device), LoginFailure.username == user)).one()
        if n_dev >= PER_PAIR:
            return Verdict(False, "too many failed sign-ins for this account from this browser", wait(dev_oldest))
        return Verdict(True)

    n, oldest = session.execute(recent.where(LoginFailure.address == addr)).one()
    if n >= PER_ADDRESS:
        return Verdict(False, "too many failed sign-ins from your address", wait(oldest))
    pair, pair_oldest = session.execute(
        recent.where(LoginFailure.address == addr, LoginFailure.username == user)
    ).one()
    if pair >= PER_PAIR:
        return Verdict(False, "too many failed sign-ins for this account from your address", wait(pair_oldest))
    n_user, user_oldest = session.execute(
        recent.where(LoginFailure.username == user, LoginFailure.address.not_like("device:%"))
    ).one()
    if n_user >= PER_USERNAME:
        return Verdict(False, "too many failed sign-ins for this account; it signs in only from a browser that signed in "
                              "to it before until they expire", wait(user_oldest))
    if n:
        n_all, all_oldest = session.execute(recent).one()
        if n_all >= GLOBAL:
            return Verdict(False, "too many failed sign-ins on this site; addresses that failed must wait", wait(all_oldest))
    return Verdict(True)


def failed(session: Session, username: str, address: str | None, now: datetime | None = None, device: str | None = None) -> None:
    """Record a failed attempt (and forget those older than the window); one made with a device
    token counts against that device."""
    now = now or utcnow()
    session.execute(delete(LoginFailure).where(LoginFailure.at <= now - WINDOW))
    session.add(LoginFailure(at=now, username=_key(username), address=_device(device) if device else _address(address)))


def succeeded(session: Session, username: str, address: str | None, device: str | None = None) -> None:
    """A successful sign-in clears this address's (and this device's) failures for this user name."""
    places = [_address(address)] + ([_device(device)] if device else [])
    session.execute(delete(LoginFailure).where(LoginFailure.username == _key(username), LoginFailure.address.in_(places)))
