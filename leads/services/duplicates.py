"""Duplicate rules: saving and publishing them, flagging the leads a warning rule
matched, refusing what a block rule matched, and the scan of the existing leads
(the background task's body).

Who may change a rule: administrators every rule, managers the rules of their
business unit and below (leads.permissions.routing_unit_ids: the same rights as
routing rules); everyone's rules (no unit) are administrators'.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from leads.models import DuplicateRule, Lead, PossibleDuplicate
from leads.models.duplicates import clean_condition
from leads.permissions import routing_unit_ids
from leads.selectors.duplicate_rules import DuplicateCheck

# The scan of the existing leads, re-exported for its callers.
from leads.services.duplicate_scan import (  # noqa: F401
    run_duplicate_scan,
    start_duplicate_scan,
)
from leadsite.core.services import service
from leadsite.core.versioning import changed_fields, check_version

RULE_FIELDS = ["name", "business_unit", "action", "exclude_closed", "is_published"]
FLAGS_KEPT = 10


class DuplicateBlocked(ValidationError):
    """A write a block rule refuses; `check` holds the matches to show."""

    def __init__(self, check: DuplicateCheck):
        names = sorted({r for reasons in check.reasons.values() for r in reasons})
        super().__init__(
            gettext(
                "Not saved: this lead duplicates an existing one (%(reasons)s). "
                "Open the match to work on it instead."
            )
            % {"reasons": ", ".join(names)},
            code="duplicate-blocked",
        )
        self.check = check


def refuse_blocked(check: DuplicateCheck) -> None:
    """Raise DuplicateBlocked when a block rule matched."""
    if check.blocked:
        raise DuplicateBlocked(check)


def can_edit_duplicate_rule(user, rule) -> bool:
    """Administrators every rule; managers those of their unit and below."""
    units = routing_unit_ids(user)
    if units is None:
        return True
    return bool(rule.business_unit_id) and rule.business_unit_id in units


def _check_may_edit(by, rule):
    if not can_edit_duplicate_rule(by, rule):
        raise PermissionDenied(gettext("You may not change this duplicate rule."))


@service
@transaction.atomic
def save_duplicate_rule(
    *,
    by,
    rule: DuplicateRule | None = None,
    conditions: list,
    expected_version: int | None = None,
    **fields,
) -> DuplicateRule:
    """Create (rule=None) or change a rule; `fields`: any of RULE_FIELDS.
    Conditions are validated (clean_condition), a rule needs one. A change based
    on another version than the stored one raises EditConflict (checked under
    the row lock); a change raises the version, no change saves nothing. A
    manager may only touch rules of their unit and below, before and after."""
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise ValueError(
            f"save_duplicate_rule cannot set {', '.join(sorted(unknown))}."
        )
    errors, cleaned = [], []
    for condition in conditions:
        try:
            cleaned.append(clean_condition(condition))
        except ValidationError as error:
            errors += error.messages
    if errors:
        raise ValidationError({"conditions": errors})
    if rule is None:
        rule = DuplicateRule()
    else:
        rule = DuplicateRule.objects.select_for_update().get(pk=rule.pk)
        _check_may_edit(by, rule)
        check_version(rule, expected_version)
        fields = changed_fields(rule, fields)
        if not fields and cleaned == rule.conditions:
            return rule
        rule.version += 1
    for name, value in fields.items():
        setattr(rule, name, value)
    rule.conditions = cleaned
    rule.modified_by = by
    rule.modified_at = timezone.now()
    _check_may_edit(by, rule)
    rule.full_clean()
    rule.save()
    return rule


@service
@transaction.atomic
def set_duplicate_rule_published(
    *, rule: DuplicateRule, by, published: bool, expected_version=None
) -> DuplicateRule:
    """Publish (checked on every write from now on) or withdraw a rule; a new
    version when that changes it."""
    return save_duplicate_rule(
        by=by,
        rule=rule,
        conditions=rule.conditions,
        expected_version=expected_version,
        is_published=published,
    )


@service
@transaction.atomic
def delete_duplicate_rule(*, rule: DuplicateRule, by) -> None:
    """Delete a rule (scans keep their groups, with the rule's name)."""
    locked = DuplicateRule.objects.select_for_update().get(pk=rule.pk)
    _check_may_edit(by, locked)
    locked.delete()


@service
@transaction.atomic
def flag_duplicate_matches(
    *, lead: Lead, check: DuplicateCheck, origin: str
) -> list[PossibleDuplicate]:
    """Flag `lead` as a possible duplicate of the leads `check` found (the newest
    FLAGS_KEPT; those it is flagged against already are left), the rule names as
    the reason. The lead stays as it is."""
    known = set(
        PossibleDuplicate.objects.filter(
            lead=lead, matched_lead__isnull=False
        ).values_list("matched_lead_id", flat=True)
    )
    ids = sorted(set(check.matched_ids()) - known - {lead.pk}, reverse=True)
    flags = [
        PossibleDuplicate(
            lead=lead,
            matched_lead_id=pk,
            reason=", ".join(check.reasons[pk])[:100],
            origin=origin,
        )
        for pk in ids[:FLAGS_KEPT]
    ]
    return PossibleDuplicate.objects.bulk_create(flags)


# --- the scan ---------------------------------------------------------------------
