"""`commissioning users ...`: people's profiles and roles."""

from __future__ import annotations

import argparse

from app.cli.context import CommandContext, read_secret_file
from app.cli.output import print_table, to_json
from app.cli.registry import CommandAdder
from app.models.people import Role
from app.services import users
from app.services.access import Area

USER_COLUMNS = [
    ("name", "Name"),
    ("role_title", "Role"),
    ("full_name", "Full name"),
    ("organisation", "Organisation"),
    ("has_password", "Password"),
    ("active", "Active"),
]


def register(add: CommandAdder) -> None:
    parser = add("users", list_users, "people's profiles and roles")
    actions = parser.add_subparsers(dest="users_action", metavar="ACTION")
    adding = add.sub(actions, "add", add_user, "add a user", writes=Area.USERS)
    adding.add_argument("name", metavar="NAME")
    adding.add_argument("--role", required=True, choices=Role.ALL)
    adding.add_argument("--full-name", default="")
    adding.add_argument("--organisation", default="")
    listing = add.sub(actions, "list", list_users, "list the users")
    listing.add_argument("--json", action="store_true", help="print JSON")
    role = add.sub(actions, "set-role", set_role, "change a user's role", writes=Area.USERS)
    role.add_argument("name", metavar="NAME")
    role.add_argument("role", metavar="ROLE", choices=Role.ALL)


def add_user(arguments: argparse.Namespace, context: CommandContext) -> int:
    # Here --password-file gives the new user's password; the acting user's own comes from
    # COMMISSIONING_PASSWORD_FILE or a prompt.
    password = (
        read_secret_file(context.password_file, "password") if context.password_file else None
    )
    database = context.open(password_is_the_new_users=True)
    try:
        with database.session() as session:
            row = users.add_user(
                session,
                arguments.name,
                arguments.role,
                password=password,
                full_name=arguments.full_name,
                organisation=arguments.organisation,
            )
    finally:
        database.close()
    protected = " with a password" if row.has_password else ""
    print(f"Added {row.name}, {row.role_title}{protected}")
    return 0


def list_users(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        with database.reader() as session:
            rows = users.list_users(session)
    finally:
        database.close()
    if getattr(arguments, "json", False):
        print(to_json(rows))
    elif rows:
        print_table(rows, USER_COLUMNS)
    else:
        print("No users yet: whoever uses this database may do everything.")
    return 0


def set_role(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        with database.session() as session:
            row = users.set_role(session, arguments.name, arguments.role)
    finally:
        database.close()
    print(f"{row.name} is now {row.role_title}")
    return 0
