"""The snapshot contract: tables, columns, types, references and channels.

This module is the single allow-list the loader, the validator and the
exporter read. Labels and relationship types used in Cypher come from the
modules under ``cypher/``, never from user text. See docs/snapshot.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "CHANNELS", "DOMAINS", "FORMAT_VERSION", "Column", "Table", "TABLES", "TABLE_ORDER",
]

FORMAT_VERSION = 1

#: Channels a promotion, share, purchase or exposure may name. Anything else is rejected.
CHANNELS: tuple[str, ...] = (
    "chat", "group", "moments", "channels", "official_account", "service_account",
    "mini_program", "search", "feed", "gift",
)
#: Where an exposure came from: through a friend (private) or feed/search (public).
DOMAINS: tuple[str, ...] = ("private", "public")

Kind = Literal["id", "text", "float", "probability", "timestamp", "channel", "domain", "bool"]


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = True
    #: (table, column) this id must exist in, for dangling-reference checks.
    references: tuple[str, str] | None = None


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    required: bool = False
    #: Columns whose combination must be unique (ordered pairs are checked both
    #: ways for friendships, see ``undirected``).
    key: tuple[str, ...] = ()
    undirected: bool = False
    description: str = ""

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _user(name: str, required: bool = True) -> Column:
    return Column(name, "id", required, references=("users", "user_id"))


def _product(name: str = "product_id") -> Column:
    return Column(name, "id", True, references=("products", "product_id"))


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table("users", (
            Column("user_id", "id"),
            Column("name", "text", False),
            Column("age_group", "text", False),
            Column("region", "text", False),
            Column("joined_at", "timestamp", False),
        ), required=True, key=("user_id",), description="people in the network"),
        Table("friendships", (
            _user("user_a"), _user("user_b"),
            Column("since", "timestamp", False),
            Column("probability", "probability", False),
        ), required=True, key=("user_a", "user_b"), undirected=True,
            description="undirected friendships, one row per pair"),
        Table("follows", (
            _user("follower_id"), _user("followee_id"),
            Column("since", "timestamp", False),
            Column("probability", "probability", False),
        ), key=("follower_id", "followee_id"),
            description="a user follows another (an official account, a creator): directed, "
                        "influence flows from followee to follower"),
        Table("products", (
            Column("product_id", "id"),
            Column("name", "text", False),
            Column("category", "text", False),
            Column("price", "float", False),
            Column("shop", "text", False),
        ), key=("product_id",), description="items that are promoted, shared, liked and bought"),
        Table("promotions", (
            _user("user_id"), _product(), Column("channel", "channel"), Column("at", "timestamp"),
        ), key=("user_id", "product_id", "channel", "at"),
            description="a promoter (带货人) pushes a product on a channel"),
        Table("shares", (
            _user("sharer_id"), _user("recipient_id"), _product(),
            Column("channel", "channel"), Column("at", "timestamp"),
            Column("inferred", "bool", False),
        ), key=("sharer_id", "recipient_id", "product_id", "channel", "at"),
            description="a user sends a product to another user"),
        Table("likes", (
            _user("user_id"), _product(), Column("at", "timestamp"),
        ), key=("user_id", "product_id"),
            description="a ♡ endorsement, visible to the user's friends"),
        Table("purchases", (
            _user("user_id"), _product(), Column("at", "timestamp"),
            Column("channel", "channel", False),
        ), key=("user_id", "product_id", "at"), description="a user buys a product"),
        Table("gifts", (
            _user("giver_id"), _user("recipient_id"), _product(), Column("at", "timestamp"),
        ), key=("giver_id", "recipient_id", "product_id", "at"),
            description="a user sends a product to another as a gift"),
        Table("exposures", (
            _user("user_id"), _product(), Column("at", "timestamp"), Column("channel", "channel"),
            _user("via_user_id", required=False), Column("domain", "domain"),
        ), key=("user_id", "product_id", "at", "channel"),
            description="a user saw a product, through a friend (private) or feed/search (public)"),
    )
}

#: Load order: nodes first, then relationships that reference them.
TABLE_ORDER: tuple[str, ...] = tuple(TABLES)
