"""The query loader and compiler; pure, no database."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import pytest

from roboco_sql import queries
from roboco_sql.errors import ConfigError, ValidationError
from roboco_sql.queries import Queries, Query, QueryFileError, QueryKind, load, parse

FIXTURES = Path(__file__).parent / "fixtures"


def one(sql: str, kind: str = "one") -> Query:
    (q,) = parse(f"-- name: q :{kind}\n{sql}", "t.sql")
    return q


def body(q: Query) -> str:
    """The compiled SQL without its leading comment."""
    head, _, rest = q.sql.partition("\n")
    assert head == f"/* {q.file}:{q.name} */"
    return rest


# -- the compiler --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "compiled", "params"),
    [
        ("SELECT * FROM t WHERE id = :id", "SELECT * FROM t WHERE id = $1", ("id",)),
        ("SELECT :a, :b, :a", "SELECT $1, $2, $1", ("a", "b")),
        ("SELECT a::text || :b", "SELECT a::text || $1", ("b",)),
        ("SELECT :x::int, :x::text", "SELECT $1::int, $1::text", ("x",)),
        ("SELECT 'a :x b', :y", "SELECT 'a :x b', $1", ("y",)),
        ("SELECT 'it''s :x', :y", "SELECT 'it''s :x', $1", ("y",)),
        ("SELECT E'\\':x', :y", "SELECT E'\\':x', $1", ("y",)),
        ("SELECT e'\\\\', :y", "SELECT e'\\\\', $1", ("y",)),
        ('SELECT "col:x" FROM t WHERE a = :y', 'SELECT "col:x" FROM t WHERE a = $1', ("y",)),
        ("SELECT $$ :x $$, :y", "SELECT $$ :x $$, $1", ("y",)),
        ("SELECT $fn$ ':x' $$ :x $fn$, :y", "SELECT $fn$ ':x' $$ :x $fn$, $1", ("y",)),
        ("SELECT /* :x /* :z */ :x */ :y", "SELECT /* :x /* :z */ :x */ $1", ("y",)),
        ("SELECT :y -- :x\nFROM t", "SELECT $1 -- :x\nFROM t", ("y",)),
        ("SELECT 100% :y", "SELECT 100% $1", ("y",)),
        ("SELECT f(a := :y)", "SELECT f(a := $1)", ("y",)),
        ("SELECT arr[1 : :hi]", "SELECT arr[1 : $1]", ("hi",)),
        ("SELECT 1", "SELECT 1", ()),
        ("SELECT * FROM t WHERE id = ANY(:ids);", "SELECT * FROM t WHERE id = ANY($1)", ("ids",)),
    ],
)
def test_compile(sql: str, compiled: str, params: tuple[str, ...]) -> None:
    q = one(sql)
    assert body(q) == compiled
    assert q.params == params


def test_compile_numbers_by_first_use_across_lines() -> None:
    q = one(
        "UPDATE tasks\n"
        "SET status = :status, updated_at = now()\n"
        "WHERE id = :id AND status <> :status::task_status;\n"
    )
    assert body(q) == (
        "UPDATE tasks\n"
        "SET status = $1, updated_at = now()\n"
        "WHERE id = $2 AND status <> $1::task_status"
    )
    assert q.params == ("status", "id")


def test_leading_comment_names_file_and_query() -> None:
    (q,) = parse("-- name: get_task :one\nSELECT 1;\n", "tasks.sql")
    assert q.sql == "/* tasks.sql:get_task */\nSELECT 1"
    assert q.label == "tasks.sql:get_task"
    assert q.qualname == "tasks.get_task"


def test_docstring_and_layout() -> None:
    text = (
        "-- file comment\n"
        "\n"
        "-- name: a :many\n"
        "-- First line.\n"
        "--   indented second line.\n"
        "/* a block comment belongs to the SQL */\n"
        "SELECT 1;  -- trailing comments after ; are dropped\n"
        "\n"
        "-- name: b :exec\n"
        "DELETE FROM t\n"
        "-- a comment before the next query, no ; above\n"
        "\n"
        "-- name: c :scalar\n"
        "SELECT 2;;\n"
    )
    a, b, c = parse(text, "x.sql")
    assert (a.name, a.kind, a.line) == ("a", QueryKind.MANY, 3)
    assert a.doc == "First line.\n  indented second line."
    assert body(a) == "/* a block comment belongs to the SQL */\nSELECT 1"
    assert (b.name, b.kind, b.line, b.doc) == ("b", QueryKind.EXEC, 9, "")
    assert body(b) == "DELETE FROM t"
    assert (c.kind, body(c)) == (QueryKind.SCALAR, "SELECT 2")


def test_crlf_and_bom_are_normalized() -> None:
    (q,) = parse("\ufeff-- name: q :one\r\nSELECT :a\r\nFROM t;\r\n", "t.sql")
    assert body(q) == "SELECT $1\nFROM t"


def test_a_name_header_inside_a_string_or_dollar_quote_is_sql() -> None:
    text = "-- name: q :exec\nDO $$\n-- name: not_a_query :one\nBEGIN NULL; END $$;\n"
    (q,) = parse(text, "t.sql")
    assert "-- name: not_a_query :one" in q.sql


# -- load errors with file:line ------------------------------------------------------------

BAD = {
    "no_kind.sql": (4, "query 'get_task' has no kind; expected one of :one :many"),
    "unknown_kind.sql": (1, "query 'get_task' has unknown kind ':first'"),
    "duplicate_name.sql": (4, "duplicate query name 'get_task' (first at line 1)"),
    "empty_body.sql": (1, "query 'get_task' has no SQL"),
    "bad_name.sql": (1, "query name 'get-task' is not an identifier"),
    "no_name.sql": (1, "query has no name"),
    "trailing_text.sql": (1, "unexpected text after the kind: 'extra'"),
    "two_statements.sql": (3, "query 'reset' has more than one statement"),
    "unterminated.sql": (3, "unterminated quoted string (column 15)"),
    "slice.sql": (2, ":hi directly after 'o' in query 'window' reads as an array slice"),
    "positional.sql": (2, "positional $1 in query 'get_task'; use :name parameters"),
    "psql_variable.sql": (2, "psql variable :'title' in query 'get_task'"),
    "sql_before_name.sql": (3, "SQL before the first '-- name:' line"),
    "trailing_header.sql": (2, "'-- name:' must start its own line"),
}


def test_every_bad_fixture_is_covered() -> None:
    assert sorted(p.name for p in (FIXTURES / "queries_bad").glob("*.sql")) == sorted(BAD)


@pytest.mark.parametrize("name", sorted(BAD))
def test_malformed_file_fails_at_load_with_file_and_line(name: str, tmp_path: Path) -> None:
    line, message = BAD[name]
    shutil.copy(FIXTURES / "queries_bad" / name, tmp_path / name)
    with pytest.raises(QueryFileError) as err:
        load(tmp_path)
    assert str(err.value).startswith(f"{name}:{line}: {message}")
    assert (err.value.file, err.value.line) == (name, line)
    assert "\n" not in str(err.value)


def test_duplicate_across_files_names_both() -> None:
    with pytest.raises(QueryFileError) as err:
        load(FIXTURES / "queries_dup")
    assert str(err.value) == ("things.sql:4: query 'get_thing' is also defined at agents.sql:4")


def test_file_name_must_be_an_identifier(tmp_path: Path) -> None:
    (tmp_path / "task-queries.sql").write_text("-- name: q :one\nSELECT 1;\n")
    with pytest.raises(QueryFileError, match=r"^task-queries\.sql:1: file name must be"):
        load(tmp_path)


def test_non_utf8_file(tmp_path: Path) -> None:
    (tmp_path / "t.sql").write_bytes(b"-- name: q :one\nSELECT '\xff';\n")
    with pytest.raises(QueryFileError, match=r"^t\.sql:2: not UTF-8 text$"):
        load(tmp_path)


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load(tmp_path / "nope")


# -- the registry --------------------------------------------------------------------------


def test_load_finds_queries_by_bare_and_qualified_name() -> None:
    qs = load(FIXTURES / "queries_ok")
    assert isinstance(qs, Queries)
    assert sorted(qs) == [
        "count_tasks",
        "get_task",
        "list_tasks",
        "purge_projects",
        "touch_project",
    ]
    assert qs["get_task"] is qs["tasks.get_task"]
    assert qs.get("get_task") is qs["get_task"]
    assert qs.get("projects.get_task") is None
    assert qs.get("nope") is None
    with pytest.raises(KeyError):
        qs["projects.get_task"]
    q = qs["get_task"]
    assert (q.file, q.line, q.kind) == ("tasks.sql", 3, QueryKind.ONE)
    assert q.doc == "Fetch one task by id.\nReturns None when there is no such task."
    assert q.sql.startswith("/* tasks.sql:get_task */\nSELECT id, title, status::text AS status")
    lt = qs["list_tasks"]
    assert lt.params == ("status", "ids")
    assert "(:status" not in lt.sql
    assert "($1::text IS NULL OR status = $1)" in lt.sql
    assert qs["purge_projects"].kind is QueryKind.EXECROWS


def test_load_is_cached() -> None:
    assert load(FIXTURES / "queries_ok") is load(str(FIXTURES / "queries_ok"))


def test_shipped_queries_load() -> None:
    shipped = load()
    assert shipped is load(queries.default_dir())
    for q in shipped.values():
        assert q.sql.startswith(f"/* {q.file}:{q.name} */\n")


# -- fragments -----------------------------------------------------------------------------


def _tree(tmp_path: Path, statements: str, **pieces: str) -> Path:
    """A query directory: t.sql holding `statements`, fragments/<name>.sql for each piece."""
    (tmp_path / "fragments").mkdir()
    for name, text in pieces.items():
        (tmp_path / "fragments" / f"{name}.sql").write_text(text)
    (tmp_path / "t.sql").write_text(statements)
    return tmp_path


LOCKED = (
    "-- the row, locked\n"
    "SELECT t.id, t.status\n"
    "  FROM tasks AS t  -- by id\n"
    " WHERE t.id = :id /* ours */\n"
    "   FOR UPDATE\n"
)


def test_a_fragment_is_folded_onto_its_line_and_its_params_bound(tmp_path: Path) -> None:
    qs = load(
        _tree(tmp_path, "-- name: q :one\nWITH cur AS ({{> locked}})\nSELECT :x;\n", locked=LOCKED)
    )
    q = qs["q"]
    assert body(q) == (
        "WITH cur AS (SELECT t.id, t.status FROM tasks AS t WHERE t.id = $1 FOR UPDATE)\nSELECT $2"
    )
    assert q.params == ("id", "x")
    assert q.args(x=2, id=1) == (1, 2)


def test_lines_after_a_fragment_are_unchanged(tmp_path: Path) -> None:
    text = (
        "-- name: a :one\n"
        "SELECT * FROM ({{> locked}}) AS l\n"
        " WHERE {{> status}};\n"
        "\n"
        "-- name: b :one\n"
        "SELECT 1;\n"
        "-- name: c :one\n"
        "SELECT arr[1:hi];\n"
    )
    status = "l.status\n  = :status\n"
    with pytest.raises(QueryFileError) as err:
        load(_tree(tmp_path, text, locked=LOCKED, status=status))
    assert (err.value.file, err.value.line) == ("t.sql", 8)
    (tmp_path / "t.sql").write_text(text.replace("arr[1:hi]", "2"))
    qs = load(tmp_path)
    assert [(qs[n].line, qs[n].params) for n in "abc"] == [(1, ("id", "status")), (5, ()), (7, ())]


def test_a_fragment_may_use_column_lists(tmp_path: Path) -> None:
    (tmp_path / "columns").mkdir()
    (tmp_path / "columns" / "things.sql").write_text("id,\nname\n")
    tree = _tree(tmp_path, "-- name: q :many\n{{> pick}};\n", pick="SELECT {{w.things}}\nFROM w")
    assert body(load(tree)["q"]) == "SELECT w.id, w.name FROM w"


def test_an_unknown_fragment_is_refused_with_file_and_line(tmp_path: Path) -> None:
    text = "-- name: q :one\nSELECT 1\n  FROM ({{> nope }}) AS n;\n"
    with pytest.raises(QueryFileError) as err:
        load(_tree(tmp_path, text, locked=LOCKED))
    assert str(err.value) == "t.sql:3: no fragment 'nope' in fragments/"


@pytest.mark.parametrize(
    ("piece", "line", "message"),
    [
        ("SELECT 1;\n", 1, "a fragment is part of one statement: no ';'"),
        ("SELECT 1\nFROM ({{> other}}) AS o", 2, "a fragment cannot include a fragment"),
        ("SELECT 'a\nb'", 1, "quoted text across lines cannot be folded"),
        ("-- only a comment\n", 1, "fragment has no SQL"),
        ("SELECT 'open", 1, "unterminated quoted string"),
    ],
)
def test_a_fragment_that_cannot_be_folded_is_refused(
    piece: str, line: int, message: str, tmp_path: Path
) -> None:
    with pytest.raises(QueryFileError) as err:
        load(_tree(tmp_path, "-- name: q :one\nSELECT 1;\n", bad=piece, other="1"))
    assert str(err.value).startswith(f"fragments/bad.sql:{line}: {message}")


def test_a_template_includes_fragments_before_its_placeholders_are_filled(
    tmp_path: Path,
) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "per_table.sql").write_text(
        "-- name: {key}_count :scalar\n{{> counted}};\n-- name: {key}_one :one\nSELECT 1;\n"
    )
    tree = _tree(tmp_path, "-- name: q :one\nSELECT 1;\n", counted="SELECT count(*)\nFROM {table}")
    count, one = queries.render("per_table.sql", tree, key="things", table="thing")
    assert (count.name, body(count), one.line) == ("things_count", "SELECT count(*) FROM thing", 3)


def test_every_shipped_fragment_is_used() -> None:
    shipped = queries.default_dir()
    files = [*shipped.glob("*.sql"), *shipped.glob("templates/*.sql")]
    text = "".join(f.read_text() for f in files)
    for name in queries.fragments(shipped / "fragments"):
        assert f"{{{{> {name}}}}}" in text, f"fragments/{name}.sql is included nowhere"


# -- binding -------------------------------------------------------------------------------


def test_args_orders_values_by_parameter_number() -> None:
    q = one("SELECT :b, :a, :b")
    assert q.args(a=1, b=2) == (2, 1)
    assert q.args({"a": 1, "b": 2}) == (2, 1)
    assert q.args({"a": 1}, b=2) == (2, 1)
    assert one("SELECT 1").args() == ()


def test_args_errors_name_the_parameters_never_the_values() -> None:
    q = one("SELECT :b, :a")
    with pytest.raises(ValidationError) as err:
        q.args(a="hunter2", c="s3cret")
    msg = str(err.value)
    assert msg == "t.sql:q: missing :b; unexpected :c (expects :b, :a)"
    with pytest.raises(ValidationError, match="given twice :a"):
        q.args({"a": 1, "b": 2}, a=1)
    with pytest.raises(ValidationError, match=r"unexpected :x \(expects no parameters\)"):
        one("SELECT 1").args(x=1)


async def test_helpers_refuse_the_wrong_kind_before_any_sql() -> None:
    conn = cast(Any, None)  # never touched: the checks run first
    q = one("SELECT :id", kind="many")
    with pytest.raises(ValidationError, match=r"^t\.sql:q is a :many query; run it with fetch_all"):
        await queries.fetch_one(conn, q, cast(Any, None), id=1)
    with pytest.raises(ValidationError, match="run it with fetch_all"):
        await queries.execute(conn, q, id=1)
    with pytest.raises(ValidationError, match="missing :id"):
        await queries.fetch_all(conn, q, cast(Any, None))
    with pytest.raises(ValidationError, match="missing :id"):
        await queries.execute_many(conn, one("DELETE FROM t WHERE id = :id", "exec"), [{}])
    with pytest.raises(ValidationError, match="is a :many query"):
        await queries.execute_many(conn, q, [{"id": 1}])
    assert await queries.execute_many(conn, one("DELETE FROM t", "execrows"), []) == 0


def test_importing_queries_loads_neither_pydantic_nor_the_models() -> None:
    """The migration runner may use the loader: importing it must not bring in pydantic or the
    models, which would add their import time to every `migrate`."""
    probe = (
        "import sys, roboco_sql.queries\n"
        "print(sorted(m for m in sys.modules if m.startswith(('pydantic', 'roboco_sql.models'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout
    assert out.strip() == "[]"
