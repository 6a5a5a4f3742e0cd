"""Throwaway databases on the same server, for building the chain to compare against."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from psycopg import sql
from psycopg.conninfo import make_conninfo

from roboco_sql.db import connect
from roboco_sql.migrate.chain import Chain
from roboco_sql.migrate.fingerprint import Fingerprints, snapshot
from roboco_sql.migrate.runner import PURE, Options, migrate


@contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """Create an empty database beside url's, yield its URL, drop it afterwards."""
    name = f"roboco_sql_scratch_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with connect(url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
    try:
        yield make_conninfo(url, dbname=name)
    finally:
        with connect(url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def build_fingerprints(url: str, chain: Chain) -> Fingerprints:
    """Build the chain revision by revision in a scratch database, fingerprinting each."""
    steps = []
    with scratch_database(url) as scratch:
        for m in chain:
            migrate(scratch, chain, m.revision, options=Options(additions=PURE))
            with connect(scratch) as conn:
                steps.append((m.revision, snapshot(conn)))
    return Fingerprints.from_steps(steps)
