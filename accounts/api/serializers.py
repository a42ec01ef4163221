"""The accounts app's API shapes: accounts, contacts, opportunities and their
product lines (read and write), the close actions, and the organisation and the
product catalogue (read only).

Writable fields are the pages' forms' (AccountForm, ContactForm, OpportunityForm,
the win, lose and product-line forms); related records are limited to those the
caller may see, as the forms limit them. They validate shape and choices only; the
services decide (required customers aside, which the form checks too)."""

import zlib

from django import forms
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts import selectors
from accounts.forms import AccountForm, ContactForm, OpportunityForm
from accounts.models import (
    MONEY,
    OPPORTUNITY_LOST_REASONS,
    Account,
    BusinessUnit,
    Contact,
    Opportunity,
    OpportunityProduct,
    OpportunityStatus,
    Product,
    Team,
    User,
)
from leadsite.core.api import FieldsMixin
from leadsite.core.dates import validate_business_date

# What every owned record shows besides its form's fields.
OWNED_FIELDS = [
    "id",
    "version",
    "owner_user",
    "owner_team",
    "owner_name",
    "business_unit",
    "created_at",
    "modified_at",
]
ACCOUNT_FIELDS = list(AccountForm.Meta.fields)
CONTACT_FIELDS = list(ContactForm.Meta.fields)
OPPORTUNITY_FIELDS = list(OpportunityForm.Meta.fields)


def _caller(serializer):
    request = serializer.context.get("request")
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _scoped_choices(serializer, **querysets) -> None:
    """Limit each related field to `querysets` (what the caller may pick, as the
    form's pickers), keeping the record's stored value among the choices as the
    edit form does (keep_stored_choices): sending back what was read is never an
    error, another record outside the caller's scope is "does not exist"."""
    instance = serializer.instance
    for name, queryset in querysets.items():
        current = getattr(instance, f"{name}_id", None)
        if current is not None:
            queryset = queryset.model._default_manager.filter(
                Q(pk__in=queryset.values("pk")) | Q(pk=current)
            )
        serializer.fields[name].queryset = queryset


class HttpsURLField(serializers.URLField):
    """A URL; a bare domain means https:// (as the form's URL fields)."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = forms.URLField(assume_scheme="https", required=False).to_python(data)
        return super().to_internal_value(data)


class OwnedSerializer(FieldsMixin, serializers.ModelSerializer):
    """An owned record as the API shows it: read only, with its version."""

    owner_name = serializers.CharField(
        source="owner", read_only=True, help_text=_("The owning user's or team's name.")
    )


# --- accounts and contacts ------------------------------------------------------------


class AccountSerializer(OwnedSerializer):
    industry_label = serializers.CharField(
        source="get_industry_display", read_only=True, allow_null=True
    )

    class Meta:
        model = Account
        fields = [*OWNED_FIELDS, *ACCOUNT_FIELDS, "industry_label"]
        read_only_fields = fields


class AccountWriteSerializer(serializers.ModelSerializer):
    """Create (POST) and partial update (PATCH): the account form's fields."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        Account._meta.get_field("website").__class__: HttpsURLField,
    }

    class Meta:
        model = Account
        fields = ACCOUNT_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _caller(self)
        _scoped_choices(
            self,
            parent_account=selectors.list_accounts(user=user)
            if user
            else Account.objects.none(),
            primary_contact=selectors.list_contacts(user=user)
            if user
            else Contact.objects.none(),
        )


class ContactSerializer(OwnedSerializer):
    class Meta:
        model = Contact
        fields = [*OWNED_FIELDS, *CONTACT_FIELDS]
        read_only_fields = fields


class ContactWriteSerializer(serializers.ModelSerializer):
    """Create (POST) and partial update (PATCH): the contact form's fields."""

    class Meta:
        model = Contact
        fields = CONTACT_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _caller(self)
        _scoped_choices(
            self,
            account=selectors.list_accounts(user=user)
            if user
            else Account.objects.none(),
        )


# --- opportunities ------------------------------------------------------------------


class OpportunitySerializer(OwnedSerializer):
    """An opportunity: the form's fields, its outcome (state, status reason and
    actuals) and the weighted value. Also the payload of the opportunity webhooks."""

    sales_stage_label = serializers.CharField(
        source="get_sales_stage_display", read_only=True
    )
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    weighted_value = serializers.DecimalField(
        **MONEY,
        read_only=True,
        allow_null=True,
        help_text=_(
            "The estimated revenue times the probability (null without an estimate)."
        ),
    )

    class Meta:
        model = Opportunity
        fields = [
            *OWNED_FIELDS,
            *OPPORTUNITY_FIELDS,
            "sales_stage_label",
            "weighted_value",
            "state",
            "state_label",
            "status",
            "status_label",
            "actual_value",
            "actual_close_date",
            "closed_at",
        ]
        read_only_fields = fields


class OpportunityWriteSerializer(serializers.ModelSerializer):
    """Create (POST) and partial update (PATCH, open opportunities only): the
    opportunity form's fields. The customer is an account, a contact, or both."""

    class Meta:
        model = Opportunity
        fields = OPPORTUNITY_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _caller(self)
        _scoped_choices(
            self,
            account=selectors.list_accounts(user=user)
            if user
            else Account.objects.none(),
            contact=selectors.list_contacts(user=user)
            if user
            else Contact.objects.none(),
        )

    def validate(self, data):
        # The form's rule, beside the same field with the same words.
        def chosen(name):
            if name in data:
                return data[name]
            return getattr(self.instance, f"{name}_id", None)

        if not chosen("account") and not chosen("contact"):
            raise serializers.ValidationError(
                {"account": gettext("Choose the customer: an account or a contact.")}
            )
        return data


class WinSerializer(serializers.Serializer):
    """Close as won (the win form)."""

    actual_value = serializers.DecimalField(
        **MONEY, min_value=0, help_text=_("The actual revenue.")
    )
    actual_close_date = serializers.DateField(
        validators=[validate_business_date], help_text=_("The actual close date.")
    )


class LoseSerializer(serializers.Serializer):
    """Close as lost (the lose form)."""

    reason = serializers.ChoiceField(
        choices=[
            (int(r), OpportunityStatus(r).label) for r in OPPORTUNITY_LOST_REASONS
        ],
        help_text=_("Status reason: 4 Canceled, 5 Out-Sold."),
    )
    description = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Why it was lost (kept in the transition log)."),
    )


# --- product lines ------------------------------------------------------------------


def line_version(line: OpportunityProduct) -> int:
    """A product line's version: derived from its values. A line is never changed
    in place (the page and the admin remove it and add another), so its version
    stays what it was as long as it exists."""
    values = "|".join(
        str(value)
        for value in (
            line.product_id,
            f"{line.quantity:.2f}",
            f"{line.price_per_unit:.2f}",
            line.note,
        )
    )
    return zlib.crc32(values.encode())


class LineVersionField(serializers.IntegerField):
    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value):
        return line_version(value)


class LineAmountField(serializers.DecimalField):
    def __init__(self, **kwargs):
        super().__init__(
            max_digits=31, decimal_places=2, source="*", read_only=True, **kwargs
        )

    def to_representation(self, value):
        return super().to_representation(value.quantity * value.price_per_unit)


class OpportunityProductSerializer(FieldsMixin, serializers.ModelSerializer):
    """A product line of an opportunity."""

    version = LineVersionField(help_text=_("The line's version (its ETag)."))
    product_name = serializers.CharField(source="product.name", read_only=True)
    product_number = serializers.CharField(
        source="product.product_number", read_only=True
    )
    amount = LineAmountField(help_text=_("Quantity times price per unit."))

    class Meta:
        model = OpportunityProduct
        fields = [
            "id",
            "version",
            "opportunity",
            "product",
            "product_name",
            "product_number",
            "quantity",
            "price_per_unit",
            "amount",
            "note",
        ]
        read_only_fields = fields


class OpportunityProductWriteSerializer(serializers.Serializer):
    """A new product line (the page's "Add product" form)."""

    product = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.none(), help_text=_("A product of the catalogue.")
    )
    quantity = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, default=1
    )
    price_per_unit = serializers.DecimalField(
        **MONEY,
        min_value=0,
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Absent or null: the catalogue price."),
    )
    note = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default=""
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = selectors.list_active_products()


# --- the organisation and the catalogue ---------------------------------------------


class UserSerializer(FieldsMixin, serializers.ModelSerializer):
    """A person records can be given to: no login name, no email."""

    name = serializers.CharField(
        source="__str__", read_only=True, help_text=_("The full name, or the login.")
    )
    teams = serializers.PrimaryKeyRelatedField(
        many=True,
        read_only=True,
        help_text=_("Those of the user's teams you may give records to."),
    )

    class Meta:
        model = User
        fields = ["id", "name", "business_unit", "teams"]
        read_only_fields = fields


class TeamSerializer(FieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "business_unit"]
        read_only_fields = fields


class BusinessUnitSerializer(FieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = BusinessUnit
        fields = ["id", "name", "parent"]
        read_only_fields = fields


class ProductSerializer(FieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "name", "product_number", "price", "description"]
        read_only_fields = fields
