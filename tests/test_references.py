"""Human references made on two laptops offline never clash."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from app.services.references import next_reference, site_code
from app.store.database import open_database


def test_references_count_up_per_prefix_and_year(database) -> None:
    with database.session() as session:
        first = next_reference(session, "DSP", 2026)
        second = next_reference(session, "DSP", 2026)
        other_year = next_reference(session, "DSP", 2027)
        contract = next_reference(session, "CON", 2026)
        code = site_code(session)
    assert re.fullmatch(rf"DSP-2026-001-{code}", first)
    assert second == f"DSP-2026-002-{code}" and other_year == f"DSP-2027-001-{code}"
    assert contract == f"CON-2026-001-{code}"


def test_two_new_databases_make_different_references(tmp_path: Path) -> None:
    made = set()
    for name in ("laptop-a", "laptop-b", "laptop-c"):
        database = open_database(tmp_path / f"{name}.sqlite")
        with database.session() as session:
            made.add(next_reference(session, "DSP", 2026))
        database.close()
    assert len(made) == 3


def test_the_site_code_is_kept(database, tmp_path: Path) -> None:
    with database.session() as session:
        code = site_code(session)
    database.close()
    if database.path is not None:
        again: str | Path = tmp_path / "again.sqlite"
        shutil.copyfile(database.path, again)
    else:
        again = database.url.render_as_string(hide_password=False)
    reopened = open_database(again)
    with reopened.session() as session:
        assert site_code(session) == code
    reopened.close()
