"""Every table that holds user ids is covered by a registered member-data entry (export and forget)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Table

from bot.clock import FixedClock
from bot.db import Database
from bot.db.base import Base
from bot.privacy.registry import MEMBER_IDS
from bot.scheduling import FakeScheduler
from bot.services import Services
from tests.conftest import START


def holds_user_ids(table: Table) -> bool:
    return any(
        column.name == "user_id" or column.name.endswith("_user_id") or column.info.get(MEMBER_IDS)
        for column in table.columns
    )


def test_every_table_with_user_ids_is_registered(tmp_path: Path) -> None:
    import bot.db.models  # noqa: F401  # every feature's tables

    services = Services.build(Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"), FixedClock(START), FakeScheduler())
    covered = services.member_data.covered_tables()
    with_ids = {table.name for table in Base.metadata.sorted_tables if holds_user_ids(table)}
    assert with_ids, "the detection found no table at all: it is broken"
    assert with_ids - covered == set(), "tables with user ids that no export/forget covers"
    # Every registered table exists (a renamed table cannot leave a stale entry behind).
    assert covered <= set(Base.metadata.tables)


def test_the_detection_sees_the_json_list_of_excused_members() -> None:
    import bot.db.models  # noqa: F401

    assert holds_user_ids(Base.metadata.tables["standup_occurrences"])
    assert not holds_user_ids(Base.metadata.tables["circles"])
