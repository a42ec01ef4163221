"""The lead's API shapes. They validate shape and choices only; the services decide
(required fields, closed leads, transitions, ownership)."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Account, Contact, Team, User
from accounts.permissions import assignable_teams, assignable_users, visible_to
from leads.forms.lifecycle import LEAD_FORM_FIELDS, phone_validator
from leads.models import DISQUALIFY_REASONS, Campaign, Lead
from leads.scoring.factors import Factor
from leads.scoring.grades import DECLINING, GRADES, IMPROVING, STEADY, grade, trend
from leads.selectors.scoring import score_of, scoring_config, value_words
from leadsite.core.api import FieldsMixin
from leadsite.core.dates import validate_business_date

READ_ONLY_FIELDS = [
    "id",
    "version",
    "state",
    "state_label",
    "status",
    "status_label",
    "owner_user",
    "owner_team",
    "owner_name",
    "business_unit",
    "qualifying_account",
    "qualifying_contact",
    "qualifying_opportunity",
    "created_at",
    "modified_at",
]


def _limit_choices(serializer) -> None:
    """As the lead form: active campaigns, partner accounts the user can see (an id
    outside them is "does not exist", whether or not the record exists)."""
    request = serializer.context.get("request")
    user = getattr(request, "user", None)
    fields = serializer.fields
    fields["campaign"].queryset = Campaign.objects.filter(is_active=True)
    fields["channel_partner"].queryset = (
        visible_to(user, Account.objects.filter(is_partner=True))
        if user is not None and user.is_authenticated
        else Account.objects.none()
    )


# The lead's score (leads.models.LeadScore), read only.
SCORE_FIELDS = ["score", "grade", "score_trend", "score_pinned", "score_factors"]


class ScoreFactorSerializer(serializers.Serializer):
    field = serializers.CharField(
        help_text=_("What the value is of: source, campaign...")
    )
    value = serializers.CharField(
        help_text=_("The lead's value as the model counts it.")
    )
    label = serializers.CharField(
        help_text=_('In words: "Source is Employee Referral".')
    )
    multiplier = serializers.FloatField(
        help_text=_(
            "How many times as often leads with this value qualify as the "
            "average (1: no effect; below 1: less often)."
        )
    )


def score_context(leads, *, factors: bool = True) -> dict:
    """What LeadSerializer's score fields of a page of leads (their score rows read
    with them) need, read once for the page: the grade thresholds (only when a lead
    has a score) and, with `factors`, the factors' words (campaign and capture form
    names: one query each, only when a factor names one)."""
    rows = [row for row in map(score_of, leads) if row is not None]
    context = {}
    if any(row.score is not None for row in rows):
        context["grade_thresholds"] = scoring_config().thresholds
    if factors:
        context["score_words"] = value_words(
            {(f[0], f[1]) for row in rows for f in row.factors or []}
        )
    return context


class LeadSerializer(FieldsMixin, serializers.ModelSerializer):
    """A lead as the API shows it (status codes are D365's, with their labels), with
    its score: the number shown (a pin, else the model's), grade, trend against a
    week ago, whether a person pinned it and the values that move it most."""

    state_label = serializers.CharField(source="get_state_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    owner_name = serializers.CharField(source="owner", read_only=True, default="")
    score = serializers.SerializerMethodField(
        help_text=_(
            "0-100, the chance the lead is qualified (a pinned score when "
            "pinned); null while there is not enough data."
        )
    )
    grade = serializers.SerializerMethodField(
        help_text=_("A-D under the administrator's thresholds; null without a score.")
    )
    score_trend = serializers.SerializerMethodField(
        help_text=_("Against the score a week ago; null without both.")
    )
    score_pinned = serializers.SerializerMethodField(
        help_text=_("A person pinned the score by hand.")
    )
    score_factors = serializers.SerializerMethodField(
        help_text=_("The three to five values that move the model's score most.")
    )

    class Meta:
        model = Lead
        fields = [*READ_ONLY_FIELDS, *SCORE_FIELDS, *LEAD_FORM_FIELDS]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_score(self, lead):
        row = score_of(lead)
        return row.score if row is not None else None

    @extend_schema_field(serializers.ChoiceField(choices=GRADES, allow_null=True))
    def get_grade(self, lead):
        score = self.get_score(lead)
        if score is None:
            return None
        thresholds = self.context.get("grade_thresholds") or scoring_config().thresholds
        return grade(score, thresholds)

    @extend_schema_field(
        serializers.ChoiceField(choices=[IMPROVING, STEADY, DECLINING], allow_null=True)
    )
    def get_score_trend(self, lead):
        row = score_of(lead)
        return trend(row.score, row.week_ago) if row is not None else None

    @extend_schema_field(serializers.BooleanField())
    def get_score_pinned(self, lead):
        row = score_of(lead)
        return row is not None and row.pinned

    @extend_schema_field(ScoreFactorSerializer(many=True))
    def get_score_factors(self, lead):
        row = score_of(lead)
        stored = [tuple(f[:3]) for f in (row.factors if row is not None else [])]
        words = self.context.get("score_words")
        if words is None:
            words = value_words((f, v) for f, v, _ in stored)
        factors = [
            Factor(f, v, ratio, words.get((f, v)) or f"{f} is {v}")
            for f, v, ratio in stored
        ]
        return [
            {
                "field": factor.field,
                "value": str(factor.value),
                "label": factor.label,
                "multiplier": round(factor.multiplier, 2),
            }
            for factor in factors
        ]


class LeadWriteSerializer(serializers.ModelSerializer):
    """Create (POST) and partial update (PATCH): the lead form's fields."""

    assign_to_me = serializers.BooleanField(
        required=False,
        default=False,
        write_only=True,
        help_text=_(
            "On create: keep the lead even when a routing rule would send it "
            "to someone else."
        ),
    )

    class Meta:
        model = Lead
        fields = [*LEAD_FORM_FIELDS, "assign_to_me"]
        extra_kwargs = {
            "business_phone": {"validators": [phone_validator]},
            "mobile_phone": {"validators": [phone_validator]},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _limit_choices(self)


class DisqualifySerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=[(int(s), s.label) for s in DISQUALIFY_REASONS],
        help_text=_(
            "Status reason: 4 Lost, 5 Cannot Contact, 6 No Longer Interested, "
            "7 Canceled."
        ),
    )
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=1000, default=""
    )


class ReactivateSerializer(serializers.Serializer):
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=1000, default=""
    )


class QualifySerializer(serializers.Serializer):
    """D365 QualifyLead: which records to create, or existing ones to link."""

    create_account = serializers.BooleanField(required=False, default=True)
    create_contact = serializers.BooleanField(required=False, default=True)
    create_opportunity = serializers.BooleanField(required=False, default=True)
    existing_account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.none(),
        required=False,
        allow_null=True,
        help_text=_("An account you can see, linked instead of creating one."),
    )
    existing_contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.none(),
        required=False,
        allow_null=True,
        help_text=_("A contact you can see, linked instead of creating one."),
    )
    campaign = serializers.PrimaryKeyRelatedField(
        queryset=Campaign.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text=_("The source campaign to credit (an active one)."),
    )
    estimated_value = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        help_text=_("The opportunity's estimated value; absent: the lead's."),
    )
    estimated_close_date = serializers.DateField(
        required=False,
        allow_null=True,
        validators=[validate_business_date],
        help_text=_("The opportunity's estimated close date; absent: the lead's."),
    )
    # The qualify page's limit (leads/forms/qualification.py).
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=500, default=""
    )
    create_duplicates = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_(
            "Create the account and contact even though records like them "
            "exist. Without it such a qualify is a 409 listing the matches: name one in "
            "existing_account / existing_contact to link it instead."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self.fields["existing_account"].queryset = visible_to(
                user, Account.objects.all()
            )
            self.fields["existing_contact"].queryset = visible_to(
                user, Contact.objects.all()
            )


class RecordReference(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    result = serializers.ChoiceField(choices=["created", "linked"])


class QualificationSerializer(serializers.Serializer):
    """What qualify answers: the lead and every record created or linked."""

    lead = LeadSerializer()
    account = RecordReference(allow_null=True)
    contact = RecordReference(allow_null=True)
    opportunity = RecordReference(allow_null=True)


class MatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())


class HiddenMatchSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["lead", "account", "contact"])
    reasons = serializers.ListField(child=serializers.CharField())
    owner = serializers.CharField()


class RouteSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_("Only say where the lead would go; nothing is written."),
    )


class OwnerReference(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["user", "team"])
    id = serializers.IntegerField()
    name = serializers.CharField()


class RouteResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    rule = RecordReference(allow_null=True, help_text=_("The rule that matched."))
    owner = OwnerReference(
        allow_null=True, help_text=_("Who owns (or would own) the lead.")
    )
    changed = serializers.BooleanField(help_text=_("The owner is (would be) another."))
    detail = serializers.CharField(help_text=_("The decision in words."))
    lead = LeadSerializer(
        allow_null=True,
        help_text=_(
            "The lead after routing; null on a dry run, or when it left your "
            "scope with its new owner."
        ),
    )


class AssignSerializer(serializers.Serializer):
    """Exactly one of owner_user and owner_team (the people you may assign to)."""

    owner_user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), required=False, allow_null=True
    )
    owner_team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.none(), required=False, allow_null=True
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self.fields["owner_user"].queryset = assignable_users(user)
            self.fields["owner_team"].queryset = assignable_teams(user)

    def validate(self, data):
        if bool(data.get("owner_user")) == bool(data.get("owner_team")):
            raise serializers.ValidationError(
                gettext("Assign the lead to a user or to a team, exactly one.")
            )
        return data


class LeadOutOfScopeSerializer(serializers.Serializer):
    """A lead written and then gone out of the caller's scope with its new owner."""

    id = serializers.IntegerField()
    detail = serializers.CharField()


class MergeSerializer(serializers.Serializer):
    """D365 Merge: the subordinate is merged into the master and closed."""

    master = serializers.IntegerField(help_text=_("The lead that survives."))
    subordinate = serializers.IntegerField(help_text=_("The lead merged into it."))
    master_version = serializers.IntegerField(
        help_text=_("The master's version (its ETag without quotes) from your read.")
    )
    subordinate_version = serializers.IntegerField(
        help_text=_("The subordinate's version from your read.")
    )
    from_subordinate = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        default=list,
        help_text=_(
            "Fields whose value the master takes from the subordinate (D365's "
            "UpdateContent); every other field keeps the master's value."
        ),
    )

    def validate_from_subordinate(self, names):
        known = set(LEAD_FORM_FIELDS)
        unknown = sorted(set(names) - known)
        if unknown:
            raise serializers.ValidationError(
                gettext("Not fields a merge can take: %(fields)s.")
                % {"fields": ", ".join(unknown)}
            )
        return names


class LinkedRecordSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
