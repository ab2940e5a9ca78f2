"""Profiles and their passwords' hashes travel by sync and bundles (issues 7 and 9).

Only the scrypt hash travels, never a password; no history shows it ("password changed").
Changes to profiles follow the same merge and conflict rules as any record, and are taken only
from someone who is an administrator on the receiving copy (or from a person setting their own
password): a viewer who edits their laptop's file cannot make themselves an administrator.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select, text

from app.cli import main
from app.models import UserProfile
from app.services import sync
from app.services.access import NotPermitted
from app.services.audit import record_history
from app.services.users import add_user, check_password, set_password, set_role
from app.store.audit import verify_audit_trail
from app.store.database import Database, open_database

PASSWORD = "correct horse battery"
NEW_PASSWORD = "staple fortnight lamp"
Laptops = Callable[[str], Database]


def _as(database: Database, user: str) -> Database:
    database.user = user
    return database


def _profiles(database: Database) -> dict[str, tuple[str, str, bool]]:
    """name: (role, password hash, active), as stored."""
    with database.reader() as session:
        return {
            p.name: (p.role, p.password_hash, p.active)
            for p in session.scalars(select(UserProfile).where(UserProfile.deleted_at.is_(None)))
        }


def _team(server: Database) -> None:
    """Ada, the administrator, and Carl, a commissioner, both with passwords; Vic, a viewer."""
    with _as(server, "tester").session() as session:
        add_user(session, "ada", "administrator", password=PASSWORD)
    with _as(server, "ada").session() as session:
        add_user(session, "carl", "commissioner", password=PASSWORD, full_name="Carl C")
        add_user(session, "vic", "viewer")


def _password_is(database: Database, name: str, password: str) -> bool:
    with database.reader() as session:
        try:
            check_password(session, name, password)
        except Exception:
            return False
        return True


def test_profiles_made_on_the_server_reach_a_laptop_with_their_password_hashes(
    database: Database, laptops: Laptops
) -> None:
    laptop = laptops("ada")
    _team(database)
    report = sync.sync_with_server(laptop, database)
    assert report.refused == () and report.open_conflicts == 0
    assert _profiles(laptop) == _profiles(database)
    assert _profiles(laptop)["carl"][1].startswith("scrypt$")
    assert _password_is(laptop, "carl", PASSWORD) and not _password_is(laptop, "carl", "nope")
    with laptop.reader() as session:
        assert verify_audit_trail(session.connection()).problems == []


def test_profiles_and_passwords_changed_on_a_laptop_reach_the_server_and_other_laptops(
    database: Database, laptops: Laptops, tmp_path: Path
) -> None:
    alice, bob = laptops("ada"), laptops("carl")
    _team(database)
    for copy in (alice, bob):
        sync.sync_with_server(copy, database)
    with _as(alice, "ada").session() as session:
        add_user(session, "dora", "head", password=PASSWORD)
        set_password(session, "carl", NEW_PASSWORD)
        set_role(session, "vic", "secretariat")
    sync.sync_with_server(alice, database)
    sync.sync_with_server(bob, database)
    for copy in (database, bob):
        assert _profiles(copy) == _profiles(alice)
        assert _password_is(copy, "dora", PASSWORD)
        assert _password_is(copy, "carl", NEW_PASSWORD) and not _password_is(copy, "carl", PASSWORD)
        assert _profiles(copy)["vic"][0] == "secretariat"
    # By bundle too: a laptop that never meets the server.
    carol = open_database(tmp_path / "carol.sqlite", user="dora")
    try:
        sync.join(carol, alice)  # a copy of Alice's file, made before she changed more
        with _as(alice, "ada").session() as session:
            set_password(session, "dora", NEW_PASSWORD)
        bundle = tmp_path / "alice.bundle"
        sync.export_bundle(alice, bundle)
        assert sync.import_bundle(carol, bundle).refused == []
        assert _password_is(carol, "dora", NEW_PASSWORD)
        assert _profiles(carol) == _profiles(alice)
    finally:
        carol.close()


def test_a_person_may_change_their_own_password_and_it_travels(
    database: Database, laptops: Laptops
) -> None:
    _team(database)
    laptop = laptops("carl")  # joined after the profiles: Carl is a commissioner there
    with _as(laptop, "carl").session() as session:
        set_password(session, "carl", NEW_PASSWORD)
    report = sync.sync_with_server(laptop, database)
    assert report.refused == ()
    assert _password_is(database, "carl", NEW_PASSWORD)


def test_no_history_shows_a_password_hash(
    database: Database, database_address: str, laptops: Laptops, capsys
) -> None:
    laptop = laptops("ada")
    _team(database)
    sync.sync_with_server(laptop, database)
    with _as(laptop, "ada").session() as session:
        set_password(session, "carl", NEW_PASSWORD)
    sync.sync_with_server(laptop, database)
    for copy in (database, laptop):
        with _as(copy, "ada").session() as session:
            history = record_history(session, "carl")
            trail = session.execute(text("SELECT changes FROM audit_entry")).scalars().all()
        shown = [c for c in history.changes if c.field == "password_hash"]
        assert [c.new for c in shown] == ["password changed", "password changed"]
        assert all(c.old is None for c in shown)
        assert "scrypt$" not in json.dumps([str(c) for c in history.changes])
        # The trail keeps the hash (so that sync carries it); never the password.
        assert any("scrypt$" in entry for entry in trail)
        assert not any(NEW_PASSWORD in entry or PASSWORD in entry for entry in trail)
    capsys.readouterr()
    for arguments in (["history", "carl"], ["history", "carl", "--json"]):
        assert main(["--db", database_address, "--user", "vic", *arguments]) == 0
        out = capsys.readouterr().out
        assert "password changed" in out and "scrypt" not in out


def test_the_same_profile_field_changed_on_two_laptops_is_a_conflict(
    database: Database, laptops: Laptops
) -> None:
    alice, bob = laptops("ada"), laptops("ada2")
    _team(database)
    with _as(database, "ada").session() as session:
        add_user(session, "ada2", "administrator")
    for copy in (alice, bob):
        sync.sync_with_server(copy, database)
    with _as(alice, "ada").session() as session:
        set_role(session, "carl", "head")
        set_password(session, "carl", NEW_PASSWORD)
    with _as(bob, "ada2").session() as session:
        set_role(session, "carl", "panel_member")
        set_password(session, "carl", "another long password")
    sync.sync_with_server(alice, database)
    report = sync.sync_with_server(bob, database)
    assert report.conflicts == 2 and report.refused == ()
    with bob.reader() as session:
        found = {c.field: c for c in sync.conflicts(session)}
    assert set(found) == {"role", "password_hash"}
    assert (found["role"].mine, found["role"].theirs) == ("panel_member", "head")
    # A password's hash is never shown, even in a conflict; and is not merged by hand.
    assert (found["password_hash"].mine, found["password_hash"].theirs) == (
        sync.PASSWORD_SHOWN,
        sync.PASSWORD_SHOWN,
    )
    with pytest.raises(Exception, match="password"), _as(bob, "ada2").session() as session:
        sync.resolve_conflict(session, str(found["password_hash"].number), "merged", "x")
    with _as(bob, "ada2").session() as session:
        sync.resolve_conflict(session, str(found["role"].number), "theirs")
        sync.resolve_conflict(session, str(found["password_hash"].number), "theirs")
    for copy in (bob, alice):
        sync.sync_with_server(copy, database)
    for copy in (database, alice, bob):
        assert _profiles(copy)["carl"][0] == "head"
        assert _password_is(copy, "carl", NEW_PASSWORD)
        with copy.reader() as session:
            assert sync.sync_status(session).open_conflicts == 0


def test_a_viewer_cannot_make_themselves_administrator_by_syncing(
    database: Database, laptops: Laptops, tmp_path: Path, capsys
) -> None:
    _team(database)
    ada_laptop = laptops("ada")
    vic = laptops("vic")  # a viewer there: the service refuses him...
    with _as(vic, "vic").session() as session, pytest.raises(NotPermitted):
        set_role(session, "vic", "administrator")
    # ... so he edits his laptop's file, as himself, behind the service's back: his own role,
    # and Ada's password's hash set to one he knows.
    with _as(vic, "vic").session() as session:
        me = session.scalars(select(UserProfile).where(UserProfile.name == "vic")).one()
        me.role = "administrator"
        ada = session.scalars(select(UserProfile).where(UserProfile.name == "ada")).one()
        ada.password_hash = _profiles(database)["carl"][1]
    before = _profiles(database)
    report = sync.sync_with_server(vic, database)
    assert len(report.refused) == 2
    assert all("'vic', who is not an administrator here (Viewer)" in r for r in report.refused)
    assert _profiles(database) == before  # the server is unchanged
    assert not _password_is(database, "ada", PASSWORD + "x") and _password_is(
        database, "ada", PASSWORD
    )
    with database.reader() as session:  # and the server keeps what it refused
        refused = sync.conflicts(session)
    assert len(refused) == 2 and all(c.field == "*" and "refused" in c.note for c in refused)
    assert "scrypt$" not in json.dumps([c.theirs_text for c in refused])

    # By bundle to Ada's laptop: refused there too, kept as a conflict that can only be
    # acknowledged, never taken, even by an administrator.
    bundle = tmp_path / "vic.bundle"
    sync.export_bundle(vic, bundle)
    path = ada_laptop.path
    ada_laptop.close()
    capsys.readouterr()
    secret = tmp_path / "ada.password"
    secret.write_text(PASSWORD + "\n")
    arguments = ["--db", str(path), "--user", "ada", "--password-file", str(secret)]
    assert main([*arguments, "sync", "--import", str(bundle)]) == 0
    assert "Refused: User profile vic: refused" in capsys.readouterr().out
    ada_laptop = open_database(path, user="ada")
    try:
        assert _profiles(ada_laptop)["vic"][0] == "viewer"
        with ada_laptop.session() as session:
            [first, *_rest] = sync.conflicts(session)
            with pytest.raises(Exception, match="acknowledged"):
                sync.resolve_conflict(session, str(first.number), "theirs")
        with _as(ada_laptop, "carl").session() as session, pytest.raises(NotPermitted):
            sync.resolve_conflict(session, str(first.number), "mine")  # not an administrator
        assert _profiles(ada_laptop)["vic"][0] == "viewer"
    finally:
        ada_laptop.close()
