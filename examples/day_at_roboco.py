"""A day at RoboCo, then a look at what it left, through the public API only.

    .venv/bin/python examples/day_at_roboco.py [--scale N] [--database-url URL]

``roboco_sql.demo.run_day`` is what ``python -m roboco_sql demo`` runs: it boots as RoboCo's
orchestrator does (``init_db()``, ``open_pool()``, db-init's seed), then twenty agents work a
day through the repositories (see roboco_sql/demo/). Afterwards this script reads the day
back as the orchestrator would: the first feature's task tree (``graph.subtree``) and the audit
trail of the task that went to the CEO (``audit.list_audit_log``).

Without ROBOCO_DATABASE_URL (or --database-url) it uses the embedded PostgreSQL in data/postgres.
"""

from __future__ import annotations

import argparse
import asyncio

import roboco_sql
from roboco_sql import demo
from roboco_sql.repos import agents, audit, graph


async def main(url: str | None, scale: int) -> None:
    report = await demo.run_day(url, scale=scale, echo=print)

    pool = await roboco_sql.open_pool(url)
    try:
        async with roboco_sql.connection(pool) as conn:
            names = {a.id: a.slug for a in await agents.list_agents(conn, limit=1000)}
            tree = await graph.subtree(conn, report.coordination_ids[0])
            print(f"\nthe first feature's {len(tree)} tasks, parents first:")
            for task in tree:
                depth = len(await graph.ancestors(conn, task.id))
                print(f"  {'  ' * depth}{task.status:<10} {task.title}")

            for task in tree:
                trail = await audit.list_audit_log(
                    conn, target_type="task", target_id=task.id, limit=100
                )
                if any(e.details.get("to_status") == "awaiting_ceo_approval" for e in trail):
                    print(f"\nthe audit trail of '{task.title}', oldest first:")
                    for event in reversed(trail):  # the log lists newest first
                        d = event.details
                        who = names.get(event.agent_id) if event.agent_id else "system"
                        print(
                            f"  {event.timestamp:%H:%M:%S.%f}  {who:<16} "
                            f"{d.get('from_status')} -> {d.get('to_status')} ({d.get('action')})"
                        )
                    break
    finally:
        await pool.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=1, metavar="N")
    parser.add_argument("--database-url", metavar="URL")
    args = parser.parse_args()
    asyncio.run(main(args.database_url, args.scale))
