"""Thin views for the leads app, split by sub-domain (see leads/urls.py)."""
