"""Inbound mail on the wire, without the database: reading a raw message
(`parsing`: its addresses, text, attachments, thread headers, whether it is an
auto-reply or a bounce) and the IMAP mailbox client (`imap`). The services
(leads/services/inbound.py, leads/services/mailboxes.py) decide what to store."""
