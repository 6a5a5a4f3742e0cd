"""init_db(): what the orchestrator awaits at startup, as RoboCo's boot does.

pgvector first (a warning, not a failure, where it cannot be had), then the chain in a
worker thread, since the runner is synchronous and owns a direct connection of its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from roboco_sql.config import Settings
from roboco_sql.db import resolve_url
from roboco_sql.migrate.additions import parse_wanted
from roboco_sql.migrate.chain import Chain, load_chain
from roboco_sql.migrate.runner import MigrationReport, Options, migrate
from roboco_sql.redact import check_url

log = logging.getLogger("roboco_sql")


def migration_url(
    settings: Settings, url: str | None = None, *, announce: Callable[[str], None] = log.info
) -> str:
    """The direct URL migrations use: explicit, then ROBOCO_MIGRATION_DATABASE_URL (never a
    pooler), then the configured server, then the embedded default (announced once)."""
    if url is not None:  # given, even empty: an empty one is an error, not the embedded server
        check_url("the database URL", url)
        return url
    return settings.migration_database_url or resolve_url(settings, announce=announce)


def migration_options(
    settings: Settings, chain: Chain, *, allow_data_loss: bool = False
) -> Options:
    """The runner's options from the settings (which of our additions to keep applied)."""
    wanted = parse_wanted(settings.additions, [a.name for a in chain.additions])
    return Options(additions=wanted, allow_data_loss=allow_data_loss)


async def init_db(
    url: str | None = None,
    *,
    settings: Settings | None = None,
    migrations_dir: Path | None = None,
    target: str | None = None,
    options: Options | None = None,
) -> MigrationReport:
    """Create pgvector where possible, then bring the schema to head; returns what happened."""
    settings = settings or Settings.from_env()
    # a broken chain fails here, before any connection; a pending file's SQL is checked by
    # the runner before anything is applied (a boot at head reads none of it)
    chain = load_chain(migrations_dir, deep=False)
    options = options or migration_options(settings, chain)
    url = migration_url(settings, url)
    target = target or settings.target_revision
    report = await asyncio.to_thread(
        migrate, url, chain, target, options=options, echo=log.info, pgvector=True
    )
    for applied in report.applied:
        for notice in applied.notices:  # a WARNING (045's rows to fix) at the operator's level
            level = logging.INFO if notice.startswith(("NOTICE", "INFO")) else logging.WARNING
            log.log(level, "%s: %s", applied.revision, notice)
    if report.rag_enabled is False:
        log.warning("pgvector unavailable (%s): RAG features disabled", report.rag_reason)
    return report
