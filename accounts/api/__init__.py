"""What the REST API takes from accounts: token authentication, the token's scope
as a permission, and per-token throttling (named in settings.REST_FRAMEWORK)."""
