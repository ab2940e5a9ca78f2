"""Alembic's environment: migrations run on the connection the store hands over."""

from __future__ import annotations

from typing import Literal

from alembic import context
from sqlalchemy import create_engine

from app.models import Base
from app.models.types import FinancialYearType, ScaledDecimal
from app.store.database import compared_with_models

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        # Run from the alembic command line by a developer: `-x url=sqlite:///file.sqlite`.
        url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///:memory:")
        with create_engine(url).connect() as fresh:
            _configure_and_run(fresh)
    else:
        _configure_and_run(connection)


def _render_item(kind: str, item: object, autogen_context: object) -> str | Literal[False]:
    """Write the product's exact types as what they are in the database, so that a
    migration never depends on model code that may change after it was written."""
    if kind == "type" and isinstance(item, ScaledDecimal):
        return "sa.BigInteger()"
    if kind == "type" and isinstance(item, FinancialYearType):
        return "sa.Integer()"
    return False


def _configure_and_run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        render_item=_render_item,
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=compared_with_models,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
