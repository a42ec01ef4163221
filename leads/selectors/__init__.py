"""Reads for lead pages, split by sub-domain; every query goes through the scope gate."""
