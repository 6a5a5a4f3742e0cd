"""What a compiled named query is, and the mapping of them a directory loads into."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from roboco_sql.errors import RobocoSQLError, ValidationError
from roboco_sql.validate import check_params


class QueryFileError(RobocoSQLError):
    """A query file is malformed; raised at load, before any query runs."""

    def __init__(self, file: str, line: int, message: str) -> None:
        self.file = file
        self.line = line
        super().__init__(f"{file}:{line}: {message}")


class QueryKind(StrEnum):
    """What a query returns; each kind has exactly one helper that runs it."""

    ONE = "one"
    MANY = "many"
    SCALAR = "scalar"
    EXEC = "exec"
    EXECROWS = "execrows"


HELPER = {
    QueryKind.ONE: "fetch_one",
    QueryKind.MANY: "fetch_all",
    QueryKind.SCALAR: "fetch_scalar",
    QueryKind.EXEC: "execute",
    QueryKind.EXECROWS: "execute_rows",
}
"""The runner function for each kind, named in the error for a query run with another."""

KINDS = " ".join(f":{k}" for k in QueryKind)


@dataclass(frozen=True, slots=True)
class Query:
    """One compiled statement: `sql` has $n placeholders, `params` their names in order."""

    name: str
    kind: QueryKind
    sql: str
    params: tuple[str, ...]
    doc: str = ""
    file: str = ""
    line: int = 0
    writes: bool = False
    names: frozenset[str] = field(init=False, repr=False, compare=False)  # params, as a set

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", frozenset(self.params))

    @property
    def label(self) -> str:
        """file.sql:name, as in the statement's leading comment and in error messages."""
        return f"{self.file}:{self.name}"

    @property
    def qualname(self) -> str:
        """file_stem.name, the key Queries also accepts."""
        return f"{self.file.removesuffix('.sql')}.{self.name}"

    def args(
        self, values: Mapping[str, object] | None = None, /, **kwargs: object
    ) -> tuple[object, ...]:
        """Positional values for $1..$n, each checked (NUL, surrogates, int8, JSON depth and
        size); names only in errors, never values (they may be tokens)."""
        only = kwargs if values is None else values if not kwargs else None
        if only is not None and only.keys() == self.names:  # the usual call: one exact mapping
            bound = tuple(map(only.__getitem__, self.params))
        else:
            bound = self._bound(values or {}, kwargs)
        check_params(self.label, self.params, bound)
        return bound

    def _bound(self, values: Mapping[str, object], kwargs: dict[str, object]) -> tuple[object, ...]:
        """The values of a call that passes a mapping, or names a wrong set (refused here)."""
        given = dict(values)
        twice = sorted(given.keys() & kwargs.keys())
        given.update(kwargs)
        missing = [p for p in self.params if p not in given]
        extra = sorted(given.keys() - self.names)
        if missing or extra or twice:
            problems = []
            if missing:
                problems.append("missing " + ", ".join(f":{p}" for p in missing))
            if extra:
                problems.append("unexpected " + ", ".join(f":{p}" for p in extra))
            if twice:
                problems.append("given twice " + ", ".join(f":{p}" for p in twice))
            expects = ", ".join(f":{p}" for p in self.params) or "no parameters"
            raise ValidationError(f"{self.label}: {'; '.join(problems)} (expects {expects})")
        return tuple(given[p] for p in self.params)


class Queries(Mapping[str, Query]):
    """Every loaded query by name; "tasks.get_task" and "get_task" both find it."""

    def __init__(self, queries: Iterable[Query] = ()) -> None:
        self._by_name = {q.name: q for q in queries}

    def __getitem__(self, key: str) -> Query:
        stem, dot, name = key.rpartition(".")
        q = self._by_name.get(name)
        if q is None or (dot and q.file != f"{stem}.sql"):
            raise KeyError(key)
        return q

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def __repr__(self) -> str:
        return f"<Queries: {len(self)} queries>"
