"""One validation layer at the public boundary: values PostgreSQL cannot take are refused by
name before any SQL runs (the connection never leaves IDLE), through every named query, every
list function's limit, RAG and the JSON filters."""

from __future__ import annotations

import datetime as dt
import enum
import importlib
import inspect
import pkgutil
import types
import typing
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from psycopg import AsyncConnection
from psycopg.pq import TransactionStatus
from psycopg.rows import tuple_row
from psycopg.types.json import Jsonb

from roboco_sql import queries, rag, repos
from roboco_sql.errors import ValidationError
from roboco_sql.repos import audit
from roboco_sql.repos._checks import int_arg
from roboco_sql.repos._paging import checked_cursor, checked_limit, checked_offset
from roboco_sql.validate import MAX_JSON_CHARS, MAX_JSON_DEPTH, MAX_SPAN, check_json, check_span

Conn = AsyncConnection[Any]
_Q = queries.load()
# a :many query with a text, a uuid, a JSON and a limit parameter
_AUDIT = _Q["audit.list_audit_log"]


def _deep(levels: int) -> Any:
    value: Any = {}
    for _ in range(levels):
        value = {"a": value}
    return value


def _audit_args(**override: object) -> dict[str, object]:
    args: dict[str, object] = dict.fromkeys(_AUDIT.params)
    args["limit"] = 10
    args.update(override)
    return args


BAD_VALUES: list[tuple[str, object, str]] = [
    ("event_type", "task\x00created", "NUL"),
    ("event_type", "lone \ud800 surrogate", "surrogate"),
    ("limit", 2**63, "64-bit"),
    ("limit", -(2**63) - 1, "64-bit"),
    ("details_contain", Jsonb(_deep(1000)), "deeper than"),
    ("details_contain", Jsonb({"k": "x" * (MAX_JSON_CHARS + 1)}), "larger than"),
    ("details_contain", Jsonb({"bad\x00key": 1}), "NUL"),
    ("details_contain", Jsonb({"k": ["ok", "v\x00"]}), "NUL"),
    ("details_contain", Jsonb({"k": "\udc00"}), "surrogate"),
    ("details_contain", Jsonb({"k": float("nan")}), "no such number"),
    ("details_contain", Jsonb({"k": float("inf")}), "no such number"),
    ("severities", ["info", "bad\x00"], "NUL"),
]


async def test_named_queries_refuse_bad_values_before_any_sql(conn: Conn) -> None:
    for param, value, reason in BAD_VALUES:
        await conn.rollback()
        assert conn.info.transaction_status is TransactionStatus.IDLE
        with pytest.raises(ValidationError, match=reason) as caught:
            await queries.fetch_all(conn, _AUDIT, tuple_row, **_audit_args(**{param: value}))
        text = str(caught.value)
        assert f":{param}" in text and "audit.sql:list_audit_log" in text, text
        # nothing was sent: no transaction was begun
        assert conn.info.transaction_status is TransactionStatus.IDLE, param
    # the same query with sane values runs on the same connection
    assert await queries.fetch_all(conn, _AUDIT, tuple_row, **_audit_args()) == []


async def test_values_at_the_edges_pass(conn: Conn) -> None:
    fine = _audit_args(
        event_type="ünïcode 😀 text",
        details_contain=Jsonb(_deep(MAX_JSON_DEPTH - 1) | {"n": 2**70, "f": 1.5e300}),
        limit=2**63 - 1,
    )
    assert await queries.fetch_all(conn, _AUDIT, tuple_row, **fine) == []


async def test_audit_details_filter_goes_through_the_layer(conn: Conn) -> None:
    for bad, reason in [
        (_deep(MAX_JSON_DEPTH + 1), "deeper than"),
        ({"k": "\x00"}, "NUL"),
        ({"k": "x" * (MAX_JSON_CHARS + 1)}, "larger than"),
    ]:
        with pytest.raises(ValidationError, match=reason) as caught:
            await audit.list_audit_log(conn, details_contain=bad)
        assert "details_contain" in str(caught.value)


def test_json_walk_needs_no_recursion() -> None:
    with pytest.raises(ValidationError, match="deeper than 64"):
        check_json("x", _deep(100_000))
    nested: list[Any] = []
    for _ in range(100_000):
        nested = [nested]
    with pytest.raises(ValidationError, match="deeper than 64"):
        check_json("x", nested)


# -- limits: every public list function of repos/ that takes one --------------------------------


def _limited() -> list[tuple[str, Callable[..., Any]]]:
    found: list[tuple[str, Callable[..., Any]]] = []
    for info in pkgutil.iter_modules(repos.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"roboco_sql.repos.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.iscoroutinefunction):
            if name.startswith("_") or fn.__module__ != module.__name__:
                continue
            if "limit" in inspect.signature(fn).parameters:
                found.append((f"{info.name}.{name}", fn))
    return found


LIMITED = _limited()


def _dummy(hint: Any) -> object:
    """A plausible value of a parameter's type, so that only the limit can be at fault."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return _dummy(next(a for a in args if a is not type(None)))
    if origin is typing.Literal:
        return args[0]
    if origin is not None and args and origin not in (dict, Mapping):
        return [_dummy(args[0])]
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return next(iter(hint))
    simple: dict[Any, object] = {
        uuid.UUID: uuid.uuid4(),
        str: "x",
        int: 1,
        float: 1.0,
        bool: False,
        dt.datetime: dt.datetime.now(dt.UTC),
        dt.date: dt.date.today(),
        dt.timedelta: dt.timedelta(seconds=1),
    }
    return simple.get(hint, uuid.uuid4())


def _required(fn: Callable[..., Any]) -> dict[str, object]:
    hints = typing.get_type_hints(fn)
    return {
        name: _dummy(hints.get(name))
        for name, p in list(inspect.signature(fn).parameters.items())[1:]
        if p.default is inspect.Parameter.empty and name != "limit"
    }


def test_the_nine_named_in_the_issue_are_found() -> None:
    modules = {name.split(".")[0] for name, _ in LIMITED}
    for needed in (
        "tasks",
        "agents",
        "audit",
        "gateway",
        "handoffs",
        "pitches",
        "products",
        "projects",
        "work_sessions",
    ):
        assert needed in modules, needed


async def test_every_limit_is_checked(conn: Conn) -> None:
    missed: list[str] = []
    for name, fn in LIMITED:
        args = _required(fn)
        for bad in (-1, 0, 2**63, 10**6, None, "10", 2.5, True):
            await conn.rollback()
            try:
                await fn(conn, **args, limit=bad)
            except ValidationError as exc:
                if "limit" not in str(exc):
                    missed.append(f"{name}(limit={bad!r}): {exc}")
            except Exception as exc:
                missed.append(f"{name}(limit={bad!r}): {type(exc).__name__}: {exc}")
            else:
                missed.append(f"{name}(limit={bad!r}) was accepted")
    assert not missed, "\n".join(missed)


# -- RAG ----------------------------------------------------------------------------------------

DOC = "documentation"
GOOD = [0.1] * 8


BAD_VECTORS: list[tuple[Any, str]] = [
    ([0.1] * 16001, "16000"),
    ([0.1, 1e308], "float4"),
    ([0.1, -3.5e38], "float4"),
    ([0.1, float("nan")], "NaN or infinity"),
    ([0.1, float("inf")], "NaN or infinity"),
    ([0.0] * 8, "all zeros"),
    ([], "empty"),
    ("abc", "sequence of numbers"),
]


async def test_rag_refuses_vectors_pgvector_cannot_compare(conn: Conn) -> None:
    agent = uuid.uuid4()
    for vector, reason in BAD_VECTORS:
        calls = [
            rag.search(conn, DOC, vector),
            rag.hybrid_search(conn, DOC, vector, "text"),
            rag.mentor_lookup(conn, agent, vector),
        ]
        for call in calls:
            with pytest.raises(ValidationError, match=reason):
                await call
            assert conn.info.transaction_status is TransactionStatus.IDLE


async def test_rag_refuses_keyword_queries_postgres_cannot_run(conn: Conn) -> None:
    for text, reason in [
        ("a" * 10_001, "10000"),
        ("word " * 1001, "1000"),
        ("bad\x00query", "NUL"),
        ("bad \ud800 query", "surrogate"),
    ]:
        with pytest.raises(ValidationError, match=reason):
            await rag.keyword_search(conn, DOC, text)
        with pytest.raises(ValidationError, match=reason):
            await rag.hybrid_search(conn, DOC, GOOD, text)
        assert conn.info.transaction_status is TransactionStatus.IDLE


async def test_rag_refuses_bad_sources_metadata_and_agents(conn: Conn) -> None:
    cases: list[tuple[Callable[[], Any], str]] = [
        (lambda: rag.search(conn, DOC, GOOD, source="s\x00"), "source"),
        (lambda: rag.keyword_search(conn, DOC, "q", source="\ud800"), "source"),
        (lambda: rag.search(conn, DOC, GOOD, metadata={"k": "\x00"}), "metadata"),
        (lambda: rag.search(conn, DOC, GOOD, metadata=_deep(1000)), "metadata"),
        (lambda: rag.keyword_search(conn, DOC, "q", metadata={"\ud800": 1}), "metadata"),
        (lambda: rag.mentor_lookup(conn, "agent\x00", GOOD), "agent"),
        (lambda: rag.delete_source(conn, DOC, "s\x00"), "source"),
        (lambda: rag.replace_source(conn, DOC, "s\x00", []), "source"),
        (lambda: rag.replace_source(conn, DOC, "s", [], title="t\x00"), "title"),
        (lambda: rag.replace_source(conn, DOC, "s", [], extra_data=_deep(100)), "extra_data"),
        (
            lambda: rag.replace_source(
                conn, DOC, "s", [rag.ChunkIn(content="c", embedding=[1e39, 1.0])]
            ),
            "chunks\\[0\\].embedding",
        ),
        (
            lambda: rag.replace_source(
                conn,
                DOC,
                "s",
                [rag.ChunkIn(content="c", embedding=GOOD, metadata={"k": "\x00"})],
            ),
            "chunks\\[0\\].metadata",
        ),
    ]
    for call, name in cases:
        with pytest.raises(ValidationError, match=name):
            await call()
        assert conn.info.transaction_status is TransactionStatus.IDLE


async def test_rag_refuses_bad_counts_and_scan_settings(conn: Conn) -> None:
    cases: list[tuple[Callable[[], Any], str]] = [
        (lambda: rag.search(conn, DOC, GOOD, None), "k must be"),  # type: ignore[arg-type]
        (lambda: rag.search(conn, DOC, GOOD, True), "k must be"),
        (lambda: rag.search(conn, DOC, GOOD, 2**63), "k must be"),
        (lambda: rag.keyword_search(conn, DOC, "q", "5"), "k must be"),  # type: ignore[arg-type]
        (lambda: rag.search(conn, DOC, GOOD, min_length=2**63), "min_length"),
        (lambda: rag.search(conn, DOC, GOOD, min_length=-1), "min_length"),
        (lambda: rag.search(conn, DOC, GOOD, ef_search=2**40), "ef_search"),
        (lambda: rag.search(conn, DOC, GOOD, max_scan_tuples=0), "max_scan_tuples"),
        (lambda: rag.hybrid_search(conn, DOC, GOOD, "q", rrf_k=2**63), "rrf_k"),
        (lambda: rag.hybrid_search(conn, DOC, GOOD, "q", candidates=0), "candidates"),
    ]
    for call, name in cases:
        with pytest.raises(ValidationError, match=name):
            await call()
        assert conn.info.transaction_status is TransactionStatus.IDLE


# -- paging: cursors and the name a count is refused under ---------------------------------------


def test_cursors_of_the_wrong_shape_are_refused_by_name() -> None:
    at, key = dt.datetime.now(dt.UTC), uuid.uuid4()
    assert checked_cursor(None) is None
    assert checked_cursor((at, key)) == (at, key)
    for bad in [(), ("x", "y"), (None, None), (at,), (at, key, 1), [at, key], (key, at), "c"]:
        with pytest.raises(ValidationError, match=r"^after must be a \(datetime, UUID\) cursor"):
            checked_cursor(bad, "after")  # type: ignore[arg-type]


def test_a_refused_count_names_the_callers_parameter_and_shows_a_short_value() -> None:
    with pytest.raises(ValidationError, match=r"^window must be between 1 and 1000, not 0$"):
        checked_limit(0, "window")
    with pytest.raises(ValidationError, match=r"^limit must be a whole number") as caught:
        checked_limit("9" * 10_000)  # type: ignore[arg-type]
    assert len(str(caught.value)) < 120
    with pytest.raises(ValidationError, match=r"^offset must be a whole number >= 0, not -1$"):
        checked_offset(-1)


def test_spans_counted_back_from_now_stay_in_the_calendar() -> None:
    assert check_span("threshold", dt.timedelta(hours=1)) == dt.timedelta(hours=1)
    assert check_span("within_seconds", 90) == dt.timedelta(seconds=90)
    assert check_span("t", MAX_SPAN) == MAX_SPAN
    dt.datetime.now(dt.UTC) - MAX_SPAN  # the longest accepted still subtracts from now
    for bad, reason in [
        (dt.timedelta.max, "is longer than 365000 days"),
        (10**12, "is longer than 365000 days"),
        (-dt.timedelta(seconds=1), "must not be negative"),
        (-1, "must not be negative"),
        (True, "must be a timedelta or whole seconds"),
        ("60", "must be a timedelta or whole seconds"),
    ]:
        with pytest.raises(ValidationError, match=f"^threshold {reason}"):
            check_span("threshold", bad)  # type: ignore[arg-type]


def test_an_integer_too_long_to_print_is_refused_in_one_line() -> None:
    """Python will not print an int of more than 4300 digits: the refusal still says what it
    was, in one line, instead of raising ValueError from the message itself."""
    huge = 10**5000
    with pytest.raises(ValidationError, match=r"^limit .* an integer of 16610 bits$"):
        checked_limit(huge)
    with pytest.raises(ValidationError, match=r"^k must be .* an integer of 16610 bits$"):
        int_arg("k", huge, 1, 10)


async def test_the_reaper_refuses_a_span_past_the_calendar(conn: Conn) -> None:
    from roboco_sql.repos import claims

    with pytest.raises(ValidationError, match=r"^older_than is longer than"):
        await claims.reap_stale_claims(conn, dt.timedelta.max)
    assert conn.info.transaction_status.name == "IDLE"  # refused before any SQL


def test_an_unknown_status_is_shown_in_one_short_line() -> None:
    from roboco_sql import lifecycle

    with pytest.raises(ValidationError) as caught:
        lifecycle.can_claim("developer", "x\n" * 10_000)
    assert "\n" not in str(caught.value)
    assert len(str(caught.value)) < 120
