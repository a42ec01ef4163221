"""Generic helpers every app builds on: history, optimistic locking, the write
guard, transactions, pagination, phones, HTTP and form helpers. Nothing here
imports an app (enforced by import-linter, see pyproject.toml)."""
