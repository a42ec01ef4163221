"""Writes of the webhooks app, by concern: subscriptions (what the pages and the API
change), outbox (events written with their change, and their fan-out) and delivery
(the worker's attempts)."""
