"""Alembic environment: runs against the engine handed in by ``gridwatch.store.db.migrate``."""

from alembic import context
from sqlalchemy import create_engine

from gridwatch.store.models import Base

config = context.config
target_metadata = Base.metadata

engine = config.attributes.get("engine")
if engine is None:  # the alembic CLI: take the URL from -x url=...
    engine = create_engine(context.get_x_argument(as_dictionary=True)["url"])

with engine.connect() as connection:
    context.configure(
        connection=connection, target_metadata=target_metadata, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
