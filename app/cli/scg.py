"""`commissioning scg ...`: which SCG's area each organisation is in, and which SCGs border."""

from __future__ import annotations

import argparse

from app.cli.context import CommandContext
from app.cli.registry import CommandAdder
from app.services import scg_areas
from app.services.access import Area


def register(add: CommandAdder) -> None:
    parser = add("scg", scg_list, "SCG areas and neighbours (used to check panels and meetings)")
    actions = parser.add_subparsers(dest="scg_command", metavar="ACTION")
    add.sub(actions, "list", scg_list, "organisations placed in SCG areas, and neighbouring SCGs")
    place = add.sub(
        actions, "place", scg_place, "place an organisation in an SCG's area", writes=Area.DISPUTES
    )
    place.add_argument("organisation", metavar="ORG", help="the organisation's code")
    place.add_argument("scg", metavar="SCG", help="the SCG's (or LSCG's) code")
    neighbour = add.sub(
        actions, "neighbour", scg_neighbour, "record that two SCGs border each other",
        writes=Area.DISPUTES,
    )  # fmt: skip
    neighbour.add_argument("scg", metavar="SCG", help="an SCG's code")
    neighbour.add_argument("other", metavar="OTHER", help="the neighbouring SCG's code")


def scg_list(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        with database.reader() as session:
            areas = scg_areas.areas(session)
            pairs = scg_areas.neighbour_pairs(session)
    finally:
        database.close()
    print("In the area of an SCG:")
    for code, name, scg_code, scg_name in areas:
        print(f"  {code} {name}: {scg_code} {scg_name}")
    print("Neighbouring SCGs:")
    for one, other in pairs:
        print(f"  {one} and {other}")
    return 0


def scg_place(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        with database.session() as session:
            scg_areas.place_in_scg(session, arguments.organisation, arguments.scg)
    finally:
        database.close()
    print(f"{arguments.organisation} is now in the area of {arguments.scg}.")
    return 0


def scg_neighbour(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        with database.session() as session:
            scg_areas.add_neighbour(session, arguments.scg, arguments.other)
    finally:
        database.close()
    print(f"{arguments.scg} and {arguments.other} are recorded as neighbours.")
    return 0
