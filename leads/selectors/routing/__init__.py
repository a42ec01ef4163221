"""Reads for routing: the situation a decision reads (situation.py, the one
builder), the routing pages (pages.py) and the dry run with the lead form's preview
(dry_run.py)."""
