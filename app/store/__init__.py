"""The store: opening, checking, migrating and backing up the database."""
