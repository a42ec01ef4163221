"""What the REST API takes from accounts: token authentication, the token's scope
as a permission, and per-token throttling (named in settings.REST_FRAMEWORK); and
the accounts app's resources (urls.py): accounts and contacts (customers.py),
opportunities and their product lines (opportunities.py), users, teams, business
units and products (organisation.py), with what they share in common.py and
pagination.py (cursor pages in a chosen order)."""
