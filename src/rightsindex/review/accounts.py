"""Local accounts: argon2-hashed passwords, roles, and the per-database session-signing secret.

Roles: ``viewer`` reads, ``analyst`` also reviews (accept, change, attach, detach, comment),
``admin`` also manages accounts. No credential is ever kept in code: passwords are given by the
person creating the account (``rightsindex user add NAME --role analyst`` prompts for one) and
stored as argon2id hashes only.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..store.models import AppSetting, AuditEntry, User, utcnow

__all__ = [
    "ROLES",
    "AccountError",
    "add_user",
    "authenticate",
    "list_users",
    "role_at_least",
    "secret",
    "set_password",
    "set_role",
]

ROLES = ("viewer", "analyst", "admin")
MIN_PASSWORD = 10
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
_hasher = PasswordHasher()  # argon2id, library defaults (RFC 9106 low-memory profile)
_DUMMY = None


class AccountError(ValueError):
    pass


def role_at_least(role: str | None, needed: str) -> bool:
    if role not in ROLES:
        return False
    return ROLES.index(role) >= ROLES.index(needed)


def _check_role(role: str) -> str:
    r = (role or "").strip().lower()
    if r not in ROLES:
        raise AccountError(f"role {role!r} is not one of: {', '.join(ROLES)}")
    return r


def _check_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > 1024:
        raise AccountError("a password is limited to 1,024 characters")


def _store_session(store_or_session):
    """Accept a Store (own transaction) or an open Session."""
    from contextlib import nullcontext

    if isinstance(store_or_session, Session):
        return nullcontext(store_or_session)
    return store_or_session.session()


def add_user(store, username: str, role: str, password: str, *, actor: str = "cli") -> None:
    """Create a local account (``store``: a Store or an open Session)."""
    if not _USERNAME.match(username or ""):
        raise AccountError("a user name is 1–100 letters, digits, '.', '_', '@' or '-', starting with a letter or digit")
    role = _check_role(role)
    _check_password(password)
    try:
        with _store_session(store) as s:
            if s.scalars(select(User).where(User.username == username)).first() is not None:
                raise AccountError(f"user {username!r} exists already")
            s.add(User(username=username, role=role, password_hash=_hasher.hash(password), active=True, created_at=utcnow()))
            s.flush()
            s.add(AuditEntry(at=utcnow(), actor=actor, action="user-add", after={"username": username, "role": role}))
    except IntegrityError:
        raise AccountError(f"user {username!r} exists already") from None


def set_password(store, username: str, password: str, *, actor: str = "cli") -> None:
    _check_password(password)
    with _store_session(store) as s:
        u = s.scalars(select(User).where(User.username == username)).first()
        if u is None:
            raise AccountError(f"no user {username!r}")
        u.password_hash = _hasher.hash(password)
        s.add(AuditEntry(at=utcnow(), actor=actor, action="user-password", after={"username": username}))


def set_role(store, username: str, role: str, *, actor: str = "cli") -> None:
    role = _check_role(role)
    with _store_session(store) as s:
        u = s.scalars(select(User).where(User.username == username)).first()
        if u is None:
            raise AccountError(f"no user {username!r}")
        before = u.role
        u.role = role
        s.add(AuditEntry(at=utcnow(), actor=actor, action="user-role", before={"username": username, "role": before},
                         after={"username": username, "role": role}))


def list_users(store) -> list[dict]:
    with _store_session(store) as s:
        return [
            {"username": u.username, "role": u.role, "active": u.active, "created_at": u.created_at, "last_login_at": u.last_login_at}
            for u in s.scalars(select(User).order_by(User.username))
        ]


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or ``None`` (same work either way)."""
    global _DUMMY
    u = session.scalars(select(User).where(User.username == (username or ""))).first()
    if u is None or not u.active:
        if _DUMMY is None:
            _DUMMY = _hasher.hash(secrets.token_urlsafe(16))
        try:  # spend the same time as a real check: no user-name probing by timing
            _hasher.verify(_DUMMY, password or "")
        except (VerificationError, InvalidHashError):
            pass
        return None
    try:
        _hasher.verify(u.password_hash, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(u.password_hash):
        u.password_hash = _hasher.hash(password)
    u.last_login_at = utcnow()
    return u


def secret(store) -> str:
    """The session-signing secret: ``RIGHTSINDEX_SECRET``, else a random one kept in this database."""
    env = os.environ.get("RIGHTSINDEX_SECRET")
    if env:
        if len(env) < 16:
            raise AccountError("RIGHTSINDEX_SECRET must be at least 16 characters")
        return env
    with store.session() as s:
        row = s.get(AppSetting, "session_secret")
        if row is not None:
            return row.value
    try:
        with store.session() as s:
            s.add(AppSetting(key="session_secret", value=secrets.token_urlsafe(48)))
    except IntegrityError:  # another worker created it first
        pass
    with store.session() as s:
        return s.get(AppSetting, "session_secret").value


def same(a: str, b: str) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())
