"""Read replicas: a pool per hot standby, and read-only work routed to one that is fresh.

PostgreSQL's streaming replication keeps hot standbys a few milliseconds behind the primary.
Spreading the reads (lists, lookups, searches, RAG, aggregates) over them leaves the primary's
CPU to the writes. With no replica configured nothing here costs anything: a read is the
primary's pooled connection, exactly as ``connection()`` gives it.

How a read picks its server:

- replicas in turn (round robin), skipping one that is down or lagging; a replica that gives
  no connection within a second, or whose lag passes ROBOCO_DATABASE_REPLICA_MAX_LAG, is left
  alone for a retry interval while a background probe waits for it to come back;
- a replica's lag is checked at most once a second, on a connection it lends anyway;
- read-your-writes: ``after=`` a WAL position taken after the commit (``write_lsn()``); the
  replica is polled until it has replayed that far, for at most ROBOCO_DATABASE_REPLICA_WAIT
  seconds, then the read goes to the primary;
- when no replica qualifies, the primary. ``read()`` also runs a read again on the primary
  when its replica drops mid-call; nothing reaches the caller but the read's own errors.

The modules: ``lsn`` (WAL positions, the ``after=``/``wait=`` arguments), ``standby`` (what a
server says about its replication, for the router and the CLI), ``replica_set`` (the replicas'
pools, health, round robin and probes), ``cluster`` (the Cluster, its routing and opening).
"""

from __future__ import annotations

from roboco_sql.replicas.cluster import Cluster, open_cluster, read_connection
from roboco_sql.replicas.lsn import Lsn
from roboco_sql.replicas.replica_set import (
    CHECK_INTERVAL,
    CHECKOUT_TIMEOUT,
    RETRY_INTERVAL,
    ReplicaStatus,
)
from roboco_sql.replicas.standby import (
    StandbyState,
    refuse_standby,
    standby_state,
    wal_position,
)

__all__ = [
    "CHECKOUT_TIMEOUT",
    "CHECK_INTERVAL",
    "RETRY_INTERVAL",
    "Cluster",
    "Lsn",
    "ReplicaStatus",
    "StandbyState",
    "open_cluster",
    "read_connection",
    "refuse_standby",
    "standby_state",
    "wal_position",
]
