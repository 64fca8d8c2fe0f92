"""Login throttling, stored in the database so that every web worker (and every machine serving the
same database) sees the same counts.

Failed sign-ins are recorded with the user name and the client address; within a sliding window
(15 minutes) an attempt is refused, before the password is even checked, when:

- its address has failed ``PER_ADDRESS`` times (guessing or password spraying from one place), or
  ``PER_PAIR`` times for this user name;
- the user name has failed ``PER_USERNAME`` times from anywhere (a distributed attack on one
  account), and this address is among those that failed for it;
- everyone together has failed ``GLOBAL`` times (a distributed spray), and this address has
  failed at least once in the window.

So an attacker can slow down only addresses that failed: a real user who has not mistyped from
their own address can always sign in, nobody is locked out for good, and every refusal says how
long to wait. A successful sign-in clears its address's failures for that user name.
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


def check(session: Session, username: str, address: str | None, now: datetime | None = None) -> Verdict:
    """Whether a sign-in attempt may go ahead."""
    now = now or utcnow()
    since = now - WINDOW
    user, addr = _key(username), _address(address)
    recent = select(func.count(), func.min(LoginFailure.at)).where(LoginFailure.at > since)

    def wait(oldest: datetime | None) -> int:
        return max(1, math.ceil(((_aware(oldest) if oldest else now) + WINDOW - now).total_seconds()))

    n, oldest = session.execute(recent.where(LoginFailure.address == addr)).one()
    if n >= PER_ADDRESS:
        return Verdict(False, "too many failed sign-ins from your address", wait(oldest))
    pair, pair_oldest = session.execute(
        recent.where(LoginFailure.address == addr, LoginFailure.username == user)
    ).one()
    if pair >= PER_PAIR:
        return Verdict(False, "too many failed sign-ins for this account from your address", wait(pair_oldest))
    if pair:
        n_user, user_oldest = session.execute(recent.where(LoginFailure.username == user)).one()
        if n_user >= PER_USERNAME:
            return Verdict(False, "this account is under attack; failed sign-ins are paused for it", wait(user_oldest))
    if n:
        n_all, all_oldest = session.execute(recent).one()
        if n_all >= GLOBAL:
            return Verdict(False, "too many failed sign-ins on this site; addresses that failed must wait", wait(all_oldest))
    return Verdict(True)


def failed(session: Session, username: str, address: str | None, now: datetime | None = None) -> None:
    """Record a failed attempt (and forget those older than the window)."""
    now = now or utcnow()
    session.execute(delete(LoginFailure).where(LoginFailure.at <= now - WINDOW))
    session.add(LoginFailure(at=now, username=_key(username), address=_address(address)))


def succeeded(session: Session, username: str, address: str | None) -> None:
    """A successful sign-in clears this address's failures for this user name."""
    session.execute(
        delete(LoginFailure).where(LoginFailure.username == _key(username), LoginFailure.address == _address(address))
    )
