"""Writes of the notifications app, one module per sub-domain: delivery (the one
writer of notifications, reading and preferences), events (what the domain events
tell whom), reminders (the periodic ones) and email (at once and the digest)."""
