"""Console users, their roles, and the record of every change made through the console.

Passwords are kept as Argon2id hashes (argon2-cffi); a disabled user cannot sign in, and a
session of theirs stops working on its next request. Every change (a user added, a record
fixed, a sync started, a license revoked) is one ``console_event`` row: who, when, what.

    >>> users = Users(store.engine)                                   # doctest: +SKIP
    >>> users.add("zhangsan", "张三", "s3cret-pass", roles=["reviewer"], actor="cli:root")
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, func, insert, select, update

from tongban.errors import FatalError
from tongban.store import schema

__all__ = ["ROLES", "User", "UserError", "Users"]

ROLES = ("engineer", "reviewer", "reporter", "admin")
"""data engineer, quality reviewer, reporter, hub administrator."""

MIN_PASSWORD = 10
_hasher = PasswordHasher()


class UserError(FatalError):
    """A console user request that cannot be done (unknown user, bad role, weak password)."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    roles: frozenset[str]
    status: str
    created_at: datetime

    @property
    def active(self) -> bool:
        return self.status == "active"

    def may(self, *roles: str) -> bool:
        """Whether the user holds one of ``roles`` (administrators hold every right)."""
        return "admin" in self.roles or bool(self.roles.intersection(roles))


def _now() -> datetime:
    return datetime.now(UTC)


def _user(row: Any) -> User:
    created = row["created_at"]
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return User(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"],
        roles=frozenset(r for r in row["roles"].split(",") if r),
        status=row["status"],
        created_at=created,
    )


def _check_roles(roles: Iterable[str]) -> list[str]:
    wanted = sorted(set(roles))
    unknown = [r for r in wanted if r not in ROLES]
    if unknown or not wanted:
        raise UserError(f"roles {unknown or '(none)'} are not console roles; choose from {ROLES}")
    return wanted


class Users:
    """The ``console_user`` and ``console_event`` tables of the shared store."""

    def __init__(self, engine: Engine):
        self.engine = engine

    # -- users -----------------------------------------------------------------------

    def add(
        self, username: str, display_name: str, password: str, *, roles: Iterable[str], actor: str
    ) -> User:
        username = username.strip()
        if not username or len(username) > 60 or any(c.isspace() for c in username):
            raise UserError(f"user name {username!r}: 1 to 60 characters, no spaces")
        if len(password) < MIN_PASSWORD:
            raise UserError(f"user {username}: a password needs at least {MIN_PASSWORD} characters")
        role_list = _check_roles(roles)
        if self.find(username) is not None:
            raise UserError(f"user {username} exists already")
        now = _now()
        with self.engine.begin() as conn:
            conn.execute(
                insert(schema.console_user).values(
                    username=username,
                    display_name=display_name.strip() or username,
                    password_hash=_hasher.hash(password),
                    roles=",".join(role_list),
                    status="active",
                    created_at=now,
                    updated_at=now,
                )
            )
            self._event(conn, actor, "user.add", username, {"roles": role_list})
        found = self.find(username)
        assert found is not None
        return found

    def find(self, username: str) -> User | None:
        cu = schema.console_user
        with self.engine.connect() as conn:
            row = conn.execute(select(cu).where(cu.c.username == username)).mappings().first()
        return _user(row) if row else None

    def get(self, user_id: int) -> User | None:
        cu = schema.console_user
        with self.engine.connect() as conn:
            row = conn.execute(select(cu).where(cu.c.id == user_id)).mappings().first()
        return _user(row) if row else None

    def everyone(self) -> list[User]:
        cu = schema.console_user
        with self.engine.connect() as conn:
            return [_user(r) for r in conn.execute(select(cu).order_by(cu.c.id)).mappings()]

    def set_status(self, username: str, status: str, *, actor: str) -> User:
        if self.find(username) is None:
            raise UserError(f"no console user {username}")
        cu = schema.console_user
        with self.engine.begin() as conn:
            conn.execute(
                update(cu).where(cu.c.username == username).values(status=status, updated_at=_now())
            )
            self._event(
                conn,
                actor,
                f"user.{'disable' if status != 'active' else 'enable'}",
                username,
                {"status": status},
            )
        found = self.find(username)
        assert found is not None
        return found

    def set_password(self, username: str, password: str, *, actor: str) -> User:
        """A new password (the old one stops working; sessions already open go on)."""
        if len(password) < MIN_PASSWORD:
            raise UserError(f"user {username}: a password needs at least {MIN_PASSWORD} characters")
        if self.find(username) is None:
            raise UserError(f"no console user {username}")
        cu = schema.console_user
        with self.engine.begin() as conn:
            conn.execute(
                update(cu)
                .where(cu.c.username == username)
                .values(password_hash=_hasher.hash(password), status="active", updated_at=_now())
            )
            self._event(conn, actor, "user.password", username, {})
        found = self.find(username)
        assert found is not None
        return found

    def authenticate(self, username: str, password: str) -> User | None:
        """The active user with this name and password, else None (the attempt is recorded)."""
        cu = schema.console_user
        with self.engine.connect() as conn:
            row = conn.execute(select(cu).where(cu.c.username == username)).mappings().first()
        ok = False
        if row is not None:
            try:
                ok = _hasher.verify(row["password_hash"], password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                ok = False
        else:  # the same work either way: no telling names apart by time
            with contextlib.suppress(VerifyMismatchError, VerificationError, InvalidHashError):
                _hasher.verify(_DUMMY, password)
        user = _user(row) if row is not None and ok else None
        if user is not None and not user.active:
            user = None
        self.record(username[:60] or "?", "sign_in" if user else "sign_in.refused", username, {})
        return user

    # -- the record of changes -------------------------------------------------------

    def record(
        self, actor: str, action: str, target: str | None, detail: Mapping[str, Any]
    ) -> None:
        with self.engine.begin() as conn:
            self._event(conn, actor, action, target, detail)

    def events(
        self, *, actor: str | None = None, action: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        ev = schema.console_event
        q = select(ev).order_by(ev.c.id.desc()).limit(limit)
        if actor:
            q = q.where(ev.c.actor == actor)
        if action:
            q = q.where(ev.c.action.startswith(action))
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def count_events(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(select(func.count()).select_from(schema.console_event)).scalar_one()
            )

    @staticmethod
    def _event(
        conn: Any, actor: str, action: str, target: str | None, detail: Mapping[str, Any]
    ) -> None:
        conn.execute(
            insert(schema.console_event).values(
                at=_now(),
                actor=actor,
                action=action,
                target=None if target is None else str(target)[:200],
                detail=dict(detail),
            )
        )


_DUMMY = _hasher.hash("not a password of anyone's")
