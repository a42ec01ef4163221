"""Where a person's data lives, found from the models themselves, so a model added
later (the consent records were) is exported and erased without a change here.

- Rows tied to a lead or contact by a foreign key (its timeline, routing log,
  import rows, consents...): tied_relations().
- Rows naming a record by kind and id (webhook events, notifications, the admin's
  log, the transition log): OBJECT_REFERENCES and the content-type logs.
- The change history of leads, contacts, accounts and opportunities
  (django-simple-history's tables: a row per save, keyed by the record's id).
- Every other text, JSON or binary column of every table: sweep_fields(), for
  the global search for the person's email address, phone or full name.
"""

import functools

from django.apps import apps
from django.db import models

from accounts.models import Account, Contact, Opportunity
from leads.models import Lead

# Relations that point at a lead or contact without being about that person: the
# records themselves (a merged lead's master, a lead's "existing contact"), an
# account's primary contact and change-history tables (tied by their record id).
NOT_TIED = {
    ("leads.Lead", "master"),
    ("leads.Lead", "parent_contact"),
    ("leads.Lead", "qualifying_contact"),
    ("accounts.Account", "primary_contact"),
    ("accounts.Opportunity", "contact"),
}
# (model label, kind field, id field): rows that name a record as "leads.lead", id.
OBJECT_REFERENCES = [
    ("webhooks.Event", "object_type", "object_id"),
    ("notifications.Notification", "target_type", "target_id"),
]
# Tables the global search leaves alone: users and their sign-ins (staff, never
# the person), the framework's own tables, the encoded sessions, the privacy log
# (keeps ids and counts only) and the scoring tables (feature values, no person).
NOT_SWEPT_APPS = {"auth", "contenttypes", "sessions", "axes"}
NOT_SWEPT_MODELS = {
    "accounts.User",
    "accounts.ApiToken",
    "privacy.Erasure",
    "leads.ScoreCount",
    "leads.MailAlias",
}
# Columns that hold codes, tokens, hashes or numbers, never what a person typed:
# the global search skips them (each one searched costs a read of its table).
NOT_SWEPT_FIELDS = {
    "token",
    "webhook_token",
    "reply_token",
    "secret",
    "previous_secret",
    "fingerprint",
    "sha256",
    "content_type",
    "task_path",
    "queue_name",
    "backend_name",
    "worker_ids",
    "exception_class_path",
    "object_type",
    "target_type",
    "transition",
    "source_state",
    "state",
    "history_change_reason",
    "scope",
    "factors",
    "history",
    "external_system",
    "file_format",
    "encoding",
    "delimiter",
    "source_system",
    "kind",
    "job",
    "task_id",
    "country",
    "code",
    "lead_ids",
    "contact_ids",
    "record_ids",
}
TEXT_FIELDS = (
    models.CharField,
    models.TextField,
    models.JSONField,
    models.BinaryField,
)


def is_history_model(model) -> bool:
    """A django-simple-history table (HistoricalLead...)."""
    return hasattr(model, "instance_type")


def label(model) -> str:
    return model._meta.label


@functools.cache
def tied_relations() -> list[tuple]:
    """(model, field name, Lead or Contact) for every foreign key that ties a row to
    a lead or contact as being about that person, in a stable order."""
    found = []
    for model in apps.get_models():
        if is_history_model(model) or model in (Lead, Contact):
            continue
        for field in model._meta.concrete_fields:
            if not field.is_relation or field.related_model not in (Lead, Contact):
                continue
            if (label(model), field.name) in NOT_TIED:
                continue
            found.append((model, field.name, field.related_model))
    return sorted(found, key=lambda item: (label(item[0]), item[1]))


def text_fields(model) -> list:
    """The concrete text, JSON and binary columns of `model` a value may hide in
    (generated columns follow their source and are left out)."""
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, TEXT_FIELDS)
        and not getattr(f, "generated", False)
        and not f.primary_key
        and not f.choices
    ]


def sweep_fields(model) -> list:
    """The columns of `model` the global search reads."""
    return [f for f in text_fields(model) if f.name not in NOT_SWEPT_FIELDS]


def sweep_models() -> list:
    """Every model whose text columns the global search goes through."""
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label not in NOT_SWEPT_APPS
        and label(model) not in NOT_SWEPT_MODELS
        and not model._meta.proxy
        and model._meta.managed
        and sweep_fields(model)
    ]


def history_model(model):
    """The change-history model of Lead, Contact, Account or Opportunity."""
    return model.history.model


AUDITED = (Lead, Contact, Account, Opportunity)
