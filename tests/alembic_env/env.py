"""A bare Alembic environment for RoboCo's own revision files (tests/test_handback.py).

RoboCo's env.py imports its application; its revision files need only alembic and
SQLAlchemy. This runs them as RoboCo's boot does: one connection, the whole upgrade in one
transaction (084 and 090 commit it midway through their autocommit blocks).
"""

from alembic import context
from sqlalchemy import MetaData, create_engine, pool

# RoboCo's naming convention (roboco/db/base.py): its revisions leave constraint names to it
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

url = context.config.get_main_option("sqlalchemy.url")
assert url is not None
engine = create_engine(url, poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=MetaData(naming_convention=NAMING))
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
