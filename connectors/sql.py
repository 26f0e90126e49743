"""Front-end database connector (前置库): a table the department writes to, read
incrementally by a change-time column with a tie-breaker.

Rows are read in ``(cursor_column, tie_breaker)`` order after the last pair read, so rows
sharing a timestamp are neither skipped nor read twice, whatever the page size:

    WHERE cursor_column > :value OR (cursor_column = :value AND tie_breaker > :tie)
    ORDER BY cursor_column, tie_breaker LIMIT :page_size

Cursor: ``{"value": <last cursor value, ISO for times>, "tie": <last tie-breaker>}``.
Connection failures are retriable; a missing table or column is fatal.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import MetaData, Table, and_, create_engine, or_, select
from sqlalchemy.exc import DBAPIError, NoSuchTableError, OperationalError, SQLAlchemyError

from connectors.base import Page, call_with_retries, check_source_fields
from connectors.definition import SqlTransport
from tongban.errors import FatalError, RetriableError

__all__ = ["SqlConnector"]


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _from_json(value: Any, python_type: type | None) -> Any:
    if value is None or python_type is None:
        return value
    if python_type is datetime:
        return datetime.fromisoformat(value)
    if python_type is date:
        return date.fromisoformat(value)
    if python_type is Decimal:
        return Decimal(value)
    return python_type(value)


def _python_type(column: Any) -> type | None:
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


class SqlConnector:
    def __init__(
        self,
        name: str,
        transport: SqlTransport,
        *,
        record_id: str | None,
        secrets: Mapping[str, str],
        source_fields: Mapping[str, str] | None = None,
    ):
        self.name, self.t = name, transport
        self.source_fields = dict(source_fields or {})
        self.record_id: str = record_id or transport.tie_breaker
        self.engine = create_engine(transport.url, pool_pre_ping=True)
        self._table: Table | None = None

    def close(self) -> None:
        self.engine.dispose()

    def _reflect(self) -> Table:
        if self._table is None:
            t = self.t
            try:
                table = Table(t.table, MetaData(), schema=t.db_schema, autoload_with=self.engine)
            except NoSuchTableError:
                raise FatalError(f"{self.name}: table {t.table!r} does not exist") from None
            except OperationalError as exc:
                raise RetriableError(f"{self.name}: cannot reach the database: {exc.orig}") from exc
            for column in {t.cursor_column, t.tie_breaker, self.record_id, *(t.columns or [])}:
                if column not in table.c:
                    raise FatalError(f"{self.name}: table {t.table!r} has no column {column!r}")
            read = t.columns if t.columns else [c.name for c in table.c]
            check_source_fields(self.name, self.source_fields, read, f"table {t.table!r}")
            self._table = table
        return self._table

    def _read(self, after: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
        table = self._reflect()
        t = self.t
        cur, tie = table.c[t.cursor_column], table.c[t.tie_breaker]
        columns = [table.c[c] for c in t.columns] if t.columns else list(table.c)
        query = select(*columns).order_by(cur, tie).limit(t.page_size)
        if after is not None:
            value = _from_json(after["value"], _python_type(cur))
            tie_value = _from_json(after["tie"], _python_type(tie))
            query = query.where(or_(cur > value, and_(cur == value, tie > tie_value)))
        try:
            with self.engine.connect() as conn:
                return [dict(row) for row in conn.execute(query).mappings()]
        except OperationalError as exc:
            raise RetriableError(f"{self.name}: database error: {exc.orig}") from exc
        except (DBAPIError, SQLAlchemyError) as exc:
            raise FatalError(f"{self.name}: query failed: {exc}") from exc

    def pages(self, cursor: Any) -> Iterator[Page]:
        t = self.t
        after = cursor if cursor and cursor.get("value") is not None else None
        while True:
            rows = call_with_retries(
                partial(self._read, after), t.retry, what=f"{self.name} read {t.table}"
            )
            if not rows:
                return
            last = rows[-1]
            after = {"value": _to_json(last[t.cursor_column]), "tie": _to_json(last[t.tie_breaker])}
            records = [(str(row[self.record_id]), row) for row in rows]
            yield Page(records, dict(after))
            if len(rows) < t.page_size:
                return
