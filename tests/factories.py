"""One factory per model. Factories build rows directly; they never call services."""

import datetime
from decimal import Decimal

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from factory import django as factory_django

from accounts import models as am
from leads import models as lm
from leadsite.core.services import service_context


class DjangoModelFactory(factory_django.DjangoModelFactory):
    """factory_boy's model factory, allowed past the write-path guard: factories
    build fixtures directly, product code writes through services."""

    class Meta:
        abstract = True

    @classmethod
    def _generate(cls, strategy, params):
        with service_context("tests.factories"):
            return super()._generate(strategy, params)


class BusinessUnitFactory(DjangoModelFactory):
    class Meta:
        model = am.BusinessUnit
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Unit {n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = am.User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    business_unit = factory.SubFactory(BusinessUnitFactory)
    password = factory.PostGenerationMethodCall("set_password", "leadsite")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = am.Team
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Team {n}")
    business_unit = factory.SubFactory(BusinessUnitFactory)

    @factory.post_generation
    def members(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.members.set(extracted)


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = am.Product

    name = factory.Sequence(lambda n: f"Product {n}")
    product_number = factory.Sequence(lambda n: f"P-{n:05d}")
    price = Decimal("100.00")


class OwnedFactory(DjangoModelFactory):
    """Owned by a user by default; pass owner_team=... (and owner_user=None) for a team."""

    owner_user = factory.SubFactory(UserFactory)
    owner_team = None
    business_unit = factory.LazyAttribute(
        lambda o: (o.owner_user or o.owner_team).business_unit
    )


class AccountFactory(OwnedFactory):
    class Meta:
        model = am.Account

    name = factory.Faker("company")
    email = factory.Faker("company_email")
    phone = factory.Faker("numerify", text="+1 555 ### ####")
    website = factory.Faker("url")
    city = factory.Faker("city")
    country = "United States"


class ContactFactory(OwnedFactory):
    class Meta:
        model = am.Contact

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Faker("email")
    business_phone = factory.Faker("numerify", text="+1 555 ### ####")
    account = None


class OpportunityFactory(OwnedFactory):
    class Meta:
        model = am.Opportunity

    name = factory.Faker("catch_phrase")
    account = factory.SubFactory(
        AccountFactory, owner_user=factory.SelfAttribute("..owner_user")
    )
    estimated_value = Decimal("5000.00")
    estimated_close_date = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=30)
    )

    class Params:
        won = factory.Trait(
            state=am.OpportunityState.WON,
            status=am.OpportunityStatus.WON,
            actual_value=Decimal("4500.00"),
            actual_close_date=factory.LazyFunction(timezone.localdate),
            closed_at=factory.LazyFunction(timezone.now),
        )
        lost = factory.Trait(
            state=am.OpportunityState.LOST,
            status=am.OpportunityStatus.OUT_SOLD,
            actual_close_date=factory.LazyFunction(timezone.localdate),
            closed_at=factory.LazyFunction(timezone.now),
        )


class OpportunityProductFactory(DjangoModelFactory):
    class Meta:
        model = am.OpportunityProduct

    opportunity = factory.SubFactory(OpportunityFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = Decimal("1")
    price_per_unit = Decimal("100.00")


class CampaignFactory(DjangoModelFactory):
    class Meta:
        model = lm.Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    source = lm.LeadSource.ADVERTISEMENT
    start_date = factory.LazyFunction(
        lambda: timezone.localdate() - datetime.timedelta(days=60)
    )
    cost = Decimal("1000.00")


class CaptureFormFactory(DjangoModelFactory):
    class Meta:
        model = lm.CaptureForm

    name = factory.Sequence(lambda n: f"Web form {n}")
    business_unit = factory.SubFactory(BusinessUnitFactory)
    fields_shown = ["first_name", "company_name", "business_phone"]


class LeadFactory(OwnedFactory):
    class Meta:
        model = lm.Lead

    subject = factory.Faker("catch_phrase")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"lead{n}@example.org")
    company_name = factory.Faker("company")
    business_phone = factory.Sequence(lambda n: f"+1 555 {n:07d}")
    source = lm.LeadSource.WEB
    estimated_value = Decimal("10000.00")

    class Params:
        contacted = factory.Trait(status=lm.LeadStatus.CONTACTED)
        qualified = factory.Trait(
            state=lm.LeadState.QUALIFIED,
            status=lm.LeadStatus.QUALIFIED,
            qualified_at=factory.LazyFunction(timezone.now),
            closed_at=factory.LazyFunction(timezone.now),
        )
        disqualified = factory.Trait(
            state=lm.LeadState.DISQUALIFIED,
            status=lm.LeadStatus.LOST,
            closed_at=factory.LazyFunction(timezone.now),
        )


class LeadAccountFactory(DjangoModelFactory):
    class Meta:
        model = lm.LeadAccount

    lead = factory.SubFactory(LeadFactory)
    account = factory.SubFactory(AccountFactory)


class LeadContactFactory(DjangoModelFactory):
    class Meta:
        model = lm.LeadContact

    lead = factory.SubFactory(LeadFactory)
    contact = factory.SubFactory(ContactFactory)


class LeadProductFactory(DjangoModelFactory):
    class Meta:
        model = lm.LeadProduct

    lead = factory.SubFactory(LeadFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = Decimal("2")


class ActivityFactory(DjangoModelFactory):
    class Meta:
        model = lm.Activity

    kind = lm.ActivityKind.PHONE_CALL
    subject = factory.Faker("sentence", nb_words=4)
    direction = lm.Direction.OUTGOING
    lead = factory.SubFactory(LeadFactory)
    owner = factory.SubFactory(UserFactory)
    created_by = factory.SelfAttribute("owner")

    class Params:
        completed = factory.Trait(
            state=lm.ActivityState.COMPLETED,
            completed_at=factory.LazyFunction(timezone.now),
        )


class NoteFactory(DjangoModelFactory):
    class Meta:
        model = lm.Note

    title = factory.Faker("sentence", nb_words=3)
    text = factory.Faker("paragraph")
    lead = factory.SubFactory(LeadFactory)
    created_by = factory.SubFactory(UserFactory)


class AttachmentFactory(DjangoModelFactory):
    class Meta:
        model = lm.Attachment

    lead = factory.SubFactory(LeadFactory)
    file = factory.LazyFunction(
        lambda: ContentFile(b"hello, world\n", name="notes.txt")
    )
    original_name = "notes.txt"
    content_type = "text/plain"
    size = 13
    created_by = factory.SubFactory(UserFactory)


class RoutingRuleFactory(DjangoModelFactory):
    class Meta:
        model = lm.RoutingRule

    name = factory.Sequence(lambda n: f"Rule {n}")
    order = factory.Sequence(lambda n: (n + 1) * 10)
    target_user = factory.SubFactory(UserFactory)


class LeadAssignmentFactory(DjangoModelFactory):
    class Meta:
        model = lm.LeadAssignment

    lead = factory.SubFactory(LeadFactory)
    assigned_user = factory.SubFactory(UserFactory)
    reason = lm.AssignmentReason.MANUAL
