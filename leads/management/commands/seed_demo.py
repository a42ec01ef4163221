"""Demo data: an organisation, users with roles, a catalog, campaigns, accounts,
contacts and N leads with their timeline and qualification results.

    python manage.py seed_demo [--leads 2000] [--password leadsite] [--seed 42]

Idempotent: units, teams, users, products, campaigns and rules are looked up by name
before they are created, the demo accounts and contacts are topped up to their target
counts, and leads are topped up to N (a second run with the same N adds nothing).

Seed data is the one place rows are built directly rather than through services, so
that a million leads are practical: values come from Faker pools precomputed once,
lead rows and everything hanging off them are built as plain column dicts and go in
per batch of leads with COPY on PostgreSQL or executemany on SQLite
(leads/management/seeding.py), every model constraint kept. The small fixed part
(organisation, catalog, base accounts) still goes through the ORM.
"""

import datetime
import functools
import random
import time
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from faker import Faker

from accounts.models import (
    Account,
    BusinessUnit,
    Contact,
    Industry,
    Opportunity,
    OpportunityProduct,
    OpportunityState,
    OpportunityStatus,
    Product,
    Team,
    User,
)
from leads.management.seeding import Table, account_row, contact_row, deferred_indexes
from leads.models import (
    LEAD_STATE_OF_STATUS,
    Activity,
    ActivityKind,
    ActivityState,
    BudgetStatus,
    Campaign,
    CaptureForm,
    Direction,
    Distribution,
    Lead,
    LeadAssignment,
    LeadProduct,
    LeadRating,
    LeadSource,
    LeadState,
    LeadStatus,
    Need,
    Note,
    PurchaseProcess,
    PurchaseTimeframe,
    RoutingRule,
)
from leads.services.routing import bulk_route_leads
from leadsite.permissions import ADMINISTRATOR, SALES_MANAGER, SALES_REP

BASE_ACCOUNT_PREFIX = "ACC-"
BASE_ACCOUNTS = 100
BASE_CONTACTS = 200
HISTORY_DAYS = 548  # about 18 months
DEFER_INDEXES_FROM = 20_000  # leads added; below that, indexes are kept up to date

# (username, first, last, role, business unit, team)
USERS = [
    ("admin", "Alex", "Morgan", ADMINISTRATOR, "Contoso", None),
    ("manager", "Maria", "Garcia", SALES_MANAGER, "North", None),
    ("manager2", "Henrik", "Larsen", SALES_MANAGER, "South", None),
    ("rep", "Ravi", "Patel", SALES_REP, "North", "North Sales"),
    ("rep3", "Tom", "Becker", SALES_REP, "North", "North Sales"),
    ("rep4", "Grace", "Okafor", SALES_REP, "North", "North Sales"),
    ("rep2", "Sofia", "Rossi", SALES_REP, "South", "South Sales"),
    ("rep5", "Lena", "Novak", SALES_REP, "South", "South Sales"),
    ("rep6", "Omar", "Haddad", SALES_REP, "South", "South Sales"),
]

PRODUCTS = [
    ("LS-CRM-STD", "CRM Standard licence", "450.00"),
    ("LS-CRM-PRO", "CRM Professional licence", "950.00"),
    ("LS-CRM-ENT", "CRM Enterprise licence", "1900.00"),
    ("LS-MKT", "Marketing automation add-on", "600.00"),
    ("LS-SVC", "Customer service add-on", "700.00"),
    ("LS-ONB", "Onboarding package", "2500.00"),
    ("LS-TRN", "Training day (on site)", "1200.00"),
    ("LS-INT", "Integration services (per day)", "1100.00"),
    ("LS-SUP-P", "Premium support (yearly)", "3000.00"),
    ("LS-DATA", "Data migration", "4000.00"),
]

# (name, source, cost, days ago it started, length in days)
CAMPAIGNS = [
    ("Spring webinar series", LeadSource.SEMINAR, "8500.00", 420, 60),
    ("Search ads Q3", LeadSource.ADVERTISEMENT, "24000.00", 300, 90),
    ("Partner summit", LeadSource.PARTNER, "15000.00", 240, 3),
    ("Trade fair Hannover", LeadSource.TRADE_SHOW, "42000.00", 180, 5),
    ("Website relaunch", LeadSource.WEB, "12000.00", 120, 120),
    ("Customer referral bonus", LeadSource.EMPLOYEE_REFERRAL, None, 90, 90),
]

SOURCE_WEIGHTS = {
    LeadSource.ADVERTISEMENT: 14,
    LeadSource.EMPLOYEE_REFERRAL: 5,
    LeadSource.EXTERNAL_REFERRAL: 6,
    LeadSource.PARTNER: 9,
    LeadSource.PUBLIC_RELATIONS: 4,
    LeadSource.SEMINAR: 8,
    LeadSource.TRADE_SHOW: 9,
    LeadSource.WEB: 30,
    LeadSource.WORD_OF_MOUTH: 7,
    LeadSource.OTHER: 3,
}
# Qualification odds differ by source so the source report has something to say.
SOURCE_QUALIFY_RATE = {
    LeadSource.ADVERTISEMENT: 0.10,
    LeadSource.EMPLOYEE_REFERRAL: 0.30,
    LeadSource.EXTERNAL_REFERRAL: 0.24,
    LeadSource.PARTNER: 0.22,
    LeadSource.PUBLIC_RELATIONS: 0.12,
    LeadSource.SEMINAR: 0.16,
    LeadSource.TRADE_SHOW: 0.18,
    LeadSource.WEB: 0.11,
    LeadSource.WORD_OF_MOUTH: 0.26,
    LeadSource.OTHER: 0.08,
}
LOCALES = [
    ("en_US", "United States", 55),
    ("en_GB", "United Kingdom", 15),
    ("de_DE", "Germany", 15),
    ("fr_FR", "France", 10),
    ("en_CA", "Canada", 5),
]
EMAIL_DOMAINS = ["example.com", "example.org", "example.net"]
# Enum .values is computed on each access: look each list up once.
VALUES = {
    enum: list(enum.values)
    for enum in (
        Industry,
        LeadRating,
        BudgetStatus,
        PurchaseTimeframe,
        PurchaseProcess,
        Need,
    )
}
DISQUALIFY_WEIGHTS = {
    LeadStatus.LOST: 35,
    LeadStatus.CANNOT_CONTACT: 30,
    LeadStatus.NO_LONGER_INTERESTED: 30,
    LeadStatus.CANCELED: 5,
}

# Plain ints and strings for the row dicts (the writers take database values).
NEW, CONTACTED, QUALIFIED = (
    int(LeadStatus.NEW),
    int(LeadStatus.CONTACTED),
    int(LeadStatus.QUALIFIED),
)
OPEN = int(LeadState.OPEN)
STATE_OF_STATUS = {int(k): int(v) for k, v in LEAD_STATE_OF_STATUS.items()}
WEB, PARTNER = int(LeadSource.WEB), int(LeadSource.PARTNER)
SOURCES = [int(s) for s in SOURCE_WEIGHTS]
SOURCE_CUM = list(accumulate(SOURCE_WEIGHTS.values()))
RATING_CUM = list(accumulate([2, 5, 3]))  # hot, warm, cold
DISQUALIFY_STATUSES = [int(s) for s in DISQUALIFY_WEIGHTS]
DISQUALIFY_CUM = list(accumulate(DISQUALIFY_WEIGHTS.values()))
OPPORTUNITY_LOST_STATUSES = [
    int(OpportunityStatus.CANCELED),
    int(OpportunityStatus.OUT_SOLD),
]
FIRST_ACTIVITY_KINDS = [ActivityKind.PHONE_CALL.value, ActivityKind.EMAIL.value]
FOLLOW_UP_KINDS = [ActivityKind.TASK.value, ActivityKind.APPOINTMENT.value]
APPOINTMENT = ActivityKind.APPOINTMENT.value
OUTGOING = Direction.OUTGOING.value
COMPLETED, ACTIVITY_OPEN = ActivityState.COMPLETED.value, ActivityState.OPEN.value
ROUTED_LEADS = 300  # newest open leads routed through the routing service per run
NOTE_TITLES = ["Call notes", "Requirements", "Follow-up", ""]


@dataclass
class Place:
    city: str
    state: str
    postal_code: str
    street: str
    country: str


@dataclass
class Pools:
    """Faker values generated once; rows pick from them (cheap per row)."""

    first_names: list[str] = field(default_factory=list)
    last_names: list[str] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)
    job_titles: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    place_weights: list[int] = field(default_factory=list)


def build_pools(seed: int) -> Pools:
    pools = Pools()
    for locale, country, weight in LOCALES:
        fake = Faker(locale)
        fake.seed_instance(seed)
        for _ in range(60):
            pools.places.append(
                Place(
                    city=fake.city()[:80],
                    state=(
                        fake.state_abbr()
                        if locale == "en_US"
                        else (fake.province_abbr() if locale == "en_CA" else "")
                    ),
                    postal_code=fake.postcode()[:20],
                    street=fake.street_address()[:250],
                    country=country,
                )
            )
            pools.place_weights.append(weight)
        pools.first_names += [fake.first_name()[:50] for _ in range(80)]
        pools.last_names += [fake.last_name()[:50] for _ in range(160)]
    fake = Faker("en_US")
    fake.seed_instance(seed)
    pools.companies = sorted({fake.company()[:100] for _ in range(800)})
    pools.job_titles = [fake.job()[:100] for _ in range(150)]
    pools.topics = [
        f"{verb} {fake.bs()}"[:300]
        for verb in ("Interested in", "Asked about", "Evaluating", "Needs")
        for _ in range(100)
    ]
    pools.sentences = [fake.sentence(nb_words=12) for _ in range(300)]
    return pools


class Command(BaseCommand):
    help = (
        "Create demo data (organisation, users, catalog, campaigns, accounts, leads)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--leads", type=int, default=2000, help="Total leads wanted."
        )
        parser.add_argument(
            "--password", default="leadsite", help="For every demo user."
        )
        parser.add_argument("--seed", type=int, default=42, help="Random seed.")
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument(
            "--defer-indexes",
            choices=["auto", "yes", "no"],
            default="auto",
            help="Drop the lead tables' plain indexes during the load and build them "
            "once at the end, all in one transaction (auto: when adding at least "
            f"{DEFER_INDEXES_FROM:,} leads, at least as many as there are, on "
            "PostgreSQL). "
            "Much faster for big loads, but the tables are locked until the load "
            "commits.",
        )

    def handle(
        self, *args, leads, password, seed, batch_size, defer_indexes, **options
    ):
        if leads < 0 or batch_size < 1:
            raise CommandError("--leads must be >= 0 and --batch-size >= 1.")
        started = time.perf_counter()
        self.rng = random.Random(seed)
        self.now = timezone.now()
        self.pools = build_pools(seed)
        with transaction.atomic():
            self._organisation(password)
            self._catalog_and_campaigns()
            self._base_accounts_and_contacts()
            self._routing_rules()
        self._prepare_lead_rows()
        existing = Lead.objects.count()
        missing = max(0, leads - existing)
        if defer_indexes == "yes" or (
            # A rebuild costs in proportion to the whole table, keeping indexes up
            # about twice as much per added row: rebuild when the load doubles it.
            # SQLite keeps its indexes: with foreign key indexes gone, each parent
            # row inserted while a deferred check is pending scans the child table.
            defer_indexes == "auto"
            and connection.vendor == "postgresql"
            and missing >= max(DEFER_INDEXES_FROM, existing)
        ):
            # One transaction: indexes are dropped, the leads go in, the indexes
            # are built again; an interrupted run rolls all of it back.
            with transaction.atomic(), deferred_indexes(self.tables.values()):
                self._add_leads(
                    missing, existing=existing, total=leads, size=batch_size
                )
                self.stdout.write("  building indexes...")
        else:
            self._add_leads(missing, existing=existing, total=leads, size=batch_size)
        self._route_recent(missing)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {Lead.objects.count():,} leads "
                f"({missing:,} added in {elapsed:.1f}s)."
            )
        )
        self.stdout.write(f"Demo logins (password: {password}):")
        for username, _first, _last, role, unit, _team in USERS:
            extra = " (superuser)" if username == "admin" else ""
            self.stdout.write(f"  {username:<9} {role}{extra}, {unit}")

    def _add_leads(self, missing, *, existing, total, size):
        done = 0
        started = time.perf_counter()
        while done < missing:
            batch = min(size, missing - done)
            with transaction.atomic():
                self._lead_batch(batch, offset=existing + done)
            done += batch
            if missing > size:
                rate = done / (time.perf_counter() - started)
                self.stdout.write(
                    f"  {existing + done:,} / {total:,} leads ({rate:,.0f}/s)"
                )

    # --- organisation --------------------------------------------------------------

    def _organisation(self, password):
        root, _ = BusinessUnit.objects.get_or_create(name="Contoso")
        north, _ = BusinessUnit.objects.get_or_create(
            name="North", defaults={"parent": root}
        )
        south, _ = BusinessUnit.objects.get_or_create(
            name="South", defaults={"parent": root}
        )
        units = {"Contoso": root, "North": north, "South": south}
        teams = {
            "North Sales": Team.objects.get_or_create(
                name="North Sales", defaults={"business_unit": north}
            )[0],
            "South Sales": Team.objects.get_or_create(
                name="South Sales", defaults={"business_unit": south}
            )[0],
        }
        groups = {
            name: Group.objects.get(name=name)
            for name in (SALES_REP, SALES_MANAGER, ADMINISTRATOR)
        }
        self.users = {}
        hashed = None
        for username, first, last, role, unit, team in USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(
                    username=username,
                    first_name=first,
                    last_name=last,
                    email=f"{username}@contoso.example",
                    business_unit=units[unit],
                    is_staff=role == ADMINISTRATOR,
                    is_superuser=username == "admin",
                )
                # One hash for all demo users: the hasher is slow on purpose.
                hashed = hashed or make_password(password)
                user.password = hashed
                user.save()
            user.groups.add(groups[role])
            if team:
                teams[team].members.add(user)
            self.users[username] = user
        for unit, username in [
            (root, "admin"),
            (north, "manager"),
            (south, "manager2"),
        ]:
            if unit.default_owner_id is None:
                unit.default_owner = self.users[username]
                unit.save(update_fields=["default_owner"])
        self.units = units
        self.teams = teams
        # Who owns what: users of each unit, plus the unit's team.
        self.owners = []  # (owner_user, owner_team, business_unit, weight)
        for username, _f, _l, role, unit, _t in USERS:
            if role != ADMINISTRATOR:
                weight = 10 if role == SALES_REP else 3
                self.owners.append((self.users[username], None, units[unit], weight))
        for team in teams.values():
            self.owners.append((None, team, team.business_unit, 4))
        self.owner_weights = [o[3] for o in self.owners]

    def _pick_owner(self):
        return self.rng.choices(self.owners, weights=self.owner_weights)[0][:3]

    def _catalog_and_campaigns(self):
        self.products = []
        for number, name, price in PRODUCTS:
            product, _ = Product.objects.get_or_create(
                product_number=number, defaults={"name": name, "price": Decimal(price)}
            )
            self.products.append(product)
        today = self.now.date()
        self.campaigns_by_source = {}
        for name, source, cost, started, length in CAMPAIGNS:
            start = today - datetime.timedelta(days=started)
            campaign, _ = Campaign.objects.get_or_create(
                name=name,
                defaults={
                    "source": source,
                    "start_date": start,
                    "end_date": start + datetime.timedelta(days=length),
                    "cost": Decimal(cost) if cost else None,
                    "business_unit": self.units["Contoso"],
                    "is_active": started - length < 0,
                },
            )
            self.campaigns_by_source.setdefault(source, []).append(campaign)
        self.capture_form, _ = CaptureForm.objects.get_or_create(
            name="Website contact form",
            defaults={
                "business_unit": self.units["Contoso"],
                "campaign": self.campaigns_by_source[LeadSource.WEB][0],
                "fields_shown": ["first_name", "company_name", "business_phone"],
            },
        )

    def _routing_rules(self):
        rules = [
            (
                "Partner leads to South",
                10,
                [{"field": "source", "op": "equals", "value": int(LeadSource.PARTNER)}],
                "rep2",
                None,
            ),
            (
                "Web leads: North Sales",
                20,
                [{"field": "source", "op": "equals", "value": int(LeadSource.WEB)}],
                None,
                "North Sales",
            ),
            (
                "Germany: South Sales",
                30,
                [{"field": "country", "op": "equals", "value": "Germany"}],
                None,
                "South Sales",
            ),
            (
                "Big deals to the manager",
                40,
                [{"field": "estimated_value", "op": "gte", "value": "100000"}],
                "manager",
                None,
            ),
        ]
        self.rules = []
        for name, order, conditions, user, team in rules:
            rule, _ = RoutingRule.objects.get_or_create(
                name=name,
                defaults={
                    "order": order,
                    "target_user": self.users[user] if user else None,
                    "target_team": self.teams[team] if team else None,
                    "distribution": Distribution.ROUND_ROBIN,
                    "conditions": conditions,
                },
            )
            self.rules.append(rule)

    def _base_accounts_and_contacts(self):
        rng, pools = self.rng, self.pools
        base = Account.objects.filter(account_number__startswith=BASE_ACCOUNT_PREFIX)
        have = base.count()
        accounts = []
        for i in range(have, BASE_ACCOUNTS):
            owner_user, owner_team, unit = self._pick_owner()
            place = self._place()
            name = pools.companies[i % len(pools.companies)]
            accounts.append(
                Account(
                    name=name,
                    account_number=f"{BASE_ACCOUNT_PREFIX}{i + 1:05d}",
                    website=f"https://www.{_slug(name)}.example",
                    phone=self._phone(),
                    email=f"info@{_slug(name)}.example",
                    industry=rng.choice(VALUES[Industry]),
                    annual_revenue=Decimal(rng.randrange(1, 500) * 100_000),
                    number_of_employees=rng.choice([8, 25, 60, 140, 400, 1200, 5000]),
                    is_partner=i % 12 == 0,
                    city=place.city,
                    state_or_province=place.state,
                    postal_code=place.postal_code,
                    address_line1=place.street,
                    country=place.country,
                    owner_user=owner_user,
                    owner_team=owner_team,
                    business_unit=unit,
                    created_at=self._past(HISTORY_DAYS + 200),
                )
            )
        Account.objects.bulk_create(accounts)
        self.base_accounts = list(base.order_by("pk"))
        self.partners = [a for a in self.base_accounts if a.is_partner]
        have_contacts = Contact.objects.filter(account__in=self.base_accounts).count()
        contacts = []
        for i in range(have_contacts, BASE_CONTACTS):
            account = self.base_accounts[i % len(self.base_accounts)]
            first, last = self._name()
            contacts.append(
                Contact(
                    first_name=first,
                    last_name=last,
                    job_title=rng.choice(pools.job_titles),
                    email=_email(first, last, i, _slug(account.name) + ".example"),
                    business_phone=self._phone(),
                    account=account,
                    city=account.city,
                    country=account.country,
                    owner_user=account.owner_user,
                    owner_team=account.owner_team,
                    business_unit=account.business_unit,
                    created_at=account.created_at,
                )
            )
        Contact.objects.bulk_create(contacts)
        _set_primary_contacts([a.pk for a in self.base_accounts])

    # --- leads ---------------------------------------------------------------------
    # Lead rows and everything hanging off them are plain dicts of column values
    # (see leads/management/seeding.py): no Model instances on this path.

    def _prepare_lead_rows(self):
        """Ids and cumulative weights the row builders pick from, looked up once."""
        self.tables = {
            model: Table(model, now=self.now)
            for model in (
                Account,
                Contact,
                Opportunity,
                Lead,
                Activity,
                Note,
                LeadProduct,
                OpportunityProduct,
                LeadAssignment,
            )
        }
        self.owner_ids = [
            (user and user.pk, team and team.pk, unit.pk)
            for user, team, unit, _weight in self.owners
        ]
        self.owner_cum = list(accumulate(self.owner_weights))
        self.place_cum = list(accumulate(self.pools.place_weights))
        self.campaign_ids = {
            int(source): [c.pk for c in campaigns]
            for source, campaigns in self.campaigns_by_source.items()
        }
        self.partner_ids = [a.pk for a in self.partners]
        self.admin_id = self.users["admin"].pk
        self.team_member_ids = {
            team.pk: [u.pk for u in team.members.all()] or [self.admin_id]
            for team in self.teams.values()
        }
        self.product_rows = [(p.pk, p.price) for p in self.products]

    def _lead_batch(self, size, *, offset):
        """Build `size` leads with their qualification records, timeline, interests
        and assignment log; every table gets one bulk write."""
        rng, pools, now, tables = self.rng, self.pools, self.now, self.tables
        leads = [
            self._lead(pk, offset + i)
            for i, pk in enumerate(tables[Lead].reserve_ids(size))
        ]

        # Qualification results: account, contact, opportunity per qualified lead.
        # Keys are reserved first so the rows can point at each other (an account's
        # primary contact is the contact made with it).
        qualified = [lead for lead in leads if lead["status"] == QUALIFIED]
        count = len(qualified)
        accounts, contacts, opportunities = [], [], []
        for lead, account_id, contact_id in zip(
            qualified,
            tables[Account].reserve_ids(count),
            tables[Contact].reserve_ids(count),
            strict=True,
        ):
            accounts.append(account_row(lead, account_id, contact_id))
            contacts.append(contact_row(lead, contact_id, account_id))
            lead["qualifying_account_id"] = account_id
            lead["qualifying_contact_id"] = contact_id
        for lead, opportunity_id in zip(
            qualified, tables[Opportunity].reserve_ids(count), strict=True
        ):
            opportunities.append(self._opportunity_for(lead, opportunity_id))
            lead["qualifying_opportunity_id"] = opportunity_id

        activities, notes, interests, lines, assignments = [], [], [], [], []
        for lead in leads:
            activities += self._activities_for(lead)
            if rng.random() < 0.12:
                notes.append(
                    {
                        "lead_id": lead["id"],
                        "title": rng.choice(NOTE_TITLES),
                        "text": rng.choice(pools.sentences),
                        "created_by_id": lead["owner_user_id"] or lead["created_by_id"],
                        "created_at": _between(rng, lead["created_at"], now),
                    }
                )
            if rng.random() < 0.25:
                opportunity_id = lead.get("qualifying_opportunity_id")
                for product_id, price in rng.sample(
                    self.product_rows, rng.choice([1, 1, 2])
                ):
                    quantity = Decimal(rng.randint(1, 20))
                    interests.append(
                        {
                            "lead_id": lead["id"],
                            "product_id": product_id,
                            "quantity": quantity,
                        }
                    )
                    if opportunity_id is not None:
                        lines.append(
                            {
                                "opportunity_id": opportunity_id,
                                "product_id": product_id,
                                "quantity": quantity,
                                "price_per_unit": price,
                            }
                        )

        for model, rows in [
            (Account, accounts),
            (Contact, contacts),
            (Opportunity, opportunities),
            (Lead, leads),
            (Activity, activities),
            (Note, notes),
            (LeadProduct, interests),
            (OpportunityProduct, lines),
            (LeadAssignment, assignments),
        ]:
            tables[model].write(rows)  # timeline rows get their ids from the database

    def _lead(self, pk, n):
        rng, pools, now = self.rng, self.pools, self.now
        owner_user, owner_team, unit = rng.choices(
            self.owner_ids, cum_weights=self.owner_cum
        )[0]
        source = rng.choices(SOURCES, cum_weights=SOURCE_CUM)[0]
        created_at = self._past(HISTORY_DAYS)
        age_days = (now - created_at).days
        status = self._status(source, age_days, team_owned=owner_team is not None)
        state = STATE_OF_STATUS[status]
        first, last = self._name()
        company = rng.choice(pools.companies)
        place = rng.choices(pools.places, cum_weights=self.place_cum)[0]
        campaigns = self.campaign_ids.get(source)
        campaign = rng.choice(campaigns) if campaigns and rng.random() < 0.6 else None
        estimated_value = Decimal(rng.choice([5, 8, 12, 20, 35, 60, 90, 150]) * 1000)
        closed_at = qualified_at = first_activity_at = None
        if state != OPEN:
            closed_at = _between(
                rng, created_at, min(now, created_at + datetime.timedelta(days=90))
            )
            if status == QUALIFIED:
                qualified_at = closed_at
        if status != NEW or rng.random() < 0.3:
            # The first activity came within three days of capture (before closing).
            limit = closed_at or now
            first_activity_at = _between(
                rng, created_at, min(limit, created_at + datetime.timedelta(hours=72))
            )
        # A dict display evaluates in order: the random draws below happen in the
        # same sequence for every lead, which keeps --seed deterministic.
        return {
            "id": pk,
            "subject": rng.choice(pools.topics),
            "salutation": rng.choice(["", "", "Mr.", "Ms.", "Dr."]),
            "first_name": first,
            "last_name": last,
            "job_title": rng.choice(pools.job_titles),
            "email": _email(first, last, n, rng.choice(EMAIL_DOMAINS)),
            "business_phone": self._phone(),
            "mobile_phone": self._phone() if rng.random() < 0.4 else "",
            "company_name": company,
            "website": f"https://www.{_slug(company)}.example"
            if rng.random() < 0.7
            else "",
            "industry": rng.choice(VALUES[Industry]) if rng.random() < 0.9 else None,
            "annual_revenue": Decimal(rng.randrange(1, 800) * 50_000)
            if rng.random() < 0.6
            else None,
            "number_of_employees": rng.choice([5, 12, 30, 75, 200, 600, 2500])
            if rng.random() < 0.7
            else None,
            "address_line1": place.street,
            "city": place.city,
            "state_or_province": place.state,
            "postal_code": place.postal_code,
            "country": place.country,
            "source": source,
            "rating": rng.choices(VALUES[LeadRating], cum_weights=RATING_CUM)[0],
            "campaign_id": campaign,
            "capture_form_id": self.capture_form.pk
            if source == WEB and rng.random() < 0.5
            else None,
            "channel_partner_id": rng.choice(self.partner_ids)
            if source == PARTNER and self.partner_ids
            else None,
            "budget_amount": estimated_value if rng.random() < 0.4 else None,
            "budget_status": rng.choice(VALUES[BudgetStatus])
            if rng.random() < 0.5
            else None,
            "purchase_timeframe": rng.choice(VALUES[PurchaseTimeframe]),
            "purchase_process": rng.choice(VALUES[PurchaseProcess]),
            "decision_maker": rng.random() < 0.35,
            "need": rng.choice(VALUES[Need]) if rng.random() < 0.6 else None,
            "estimated_value": estimated_value,
            "estimated_close_date": (
                created_at + datetime.timedelta(days=rng.randint(20, 180))
            ).date(),
            "do_not_bulk_email": rng.random() < 0.1,
            "owner_user_id": owner_user,
            "owner_team_id": owner_team,
            "business_unit_id": unit,
            "state": state,
            "status": status,
            "qualified_at": qualified_at,
            "closed_at": closed_at,
            "first_activity_at": first_activity_at,
            "created_by_id": owner_user or self.admin_id,
            "created_at": created_at,
        }

    def _status(self, source, age_days, *, team_owned):
        rng = self.rng
        if team_owned and rng.random() < 0.7:
            return NEW  # the unassigned queue: still waiting for a rep
        # Older leads are more likely to be closed already.
        closed_odds = min(0.9, 0.15 + age_days / 300)
        if rng.random() >= closed_odds:
            return rng.choice([NEW, CONTACTED])
        if rng.random() < SOURCE_QUALIFY_RATE[source] / 0.7:
            return QUALIFIED
        return rng.choices(DISQUALIFY_STATUSES, cum_weights=DISQUALIFY_CUM)[0]

    def _opportunity_for(self, lead, pk):
        rng = self.rng
        row = {
            "id": pk,
            "name": lead["subject"],
            "account_id": lead["qualifying_account_id"],
            "contact_id": lead["qualifying_contact_id"],
            "estimated_value": lead["estimated_value"],
            "estimated_close_date": lead["estimated_close_date"],
            "owner_user_id": lead["owner_user_id"],
            "owner_team_id": lead["owner_team_id"],
            "business_unit_id": lead["business_unit_id"],
            "created_at": lead["qualified_at"],
        }
        age = (self.now - lead["qualified_at"]).days
        outcome = rng.random()
        if age > 20 and outcome < 0.6:
            close = _between(rng, lead["qualified_at"], self.now)
            row["actual_close_date"] = close.date()
            row["closed_at"] = close
            if outcome < 0.35:
                row["state"] = int(OpportunityState.WON)
                row["status"] = int(OpportunityStatus.WON)
                row["actual_value"] = (
                    lead["estimated_value"]
                    * Decimal(rng.choice([70, 85, 100, 110, 125]))
                    / 100
                ).quantize(Decimal("0.01"))
            else:
                row["state"] = int(OpportunityState.LOST)
                row["status"] = rng.choice(OPPORTUNITY_LOST_STATUSES)
        return row

    def _activities_for(self, lead):
        rng = self.rng
        first_activity_at = lead["first_activity_at"]
        if first_activity_at is None:
            return []
        owner = lead["owner_user_id"] or rng.choice(
            self.team_member_ids[lead["owner_team_id"]]
        )
        first_done = lead["status"] != NEW
        items = [
            {
                "lead_id": lead["id"],
                "kind": rng.choice(FIRST_ACTIVITY_KINDS),
                "subject": rng.choice(
                    ["Intro call", "First contact", "Reply to enquiry"]
                ),
                "direction": OUTGOING,
                "state": COMPLETED if first_done else ACTIVITY_OPEN,
                "completed_at": first_activity_at if first_done else None,
                "due_at": first_activity_at,
                "owner_id": owner,
                "created_by_id": owner,
                "created_at": first_activity_at,
            }
        ]
        if lead["state"] == OPEN and rng.random() < 0.5:
            start = self.now + datetime.timedelta(
                days=rng.randint(1, 21), hours=rng.randint(0, 8)
            )
            kind = rng.choice(FOLLOW_UP_KINDS)
            appointment = kind == APPOINTMENT
            items.append(
                {
                    "lead_id": lead["id"],
                    "kind": kind,
                    "subject": "Demo meeting" if appointment else "Follow up",
                    "due_at": start,
                    "start_at": start if appointment else None,
                    "end_at": start + datetime.timedelta(hours=1)
                    if appointment
                    else None,
                    "owner_id": owner,
                    "created_by_id": owner,
                    "created_at": _between(rng, first_activity_at, self.now),
                }
            )
        return items

    def _route_recent(self, added):
        """The newest open leads of this run go through the real routing service,
        so every assignment log row in the demo is a decision the rules made."""
        recent = Lead.objects.filter(
            state=LeadState.OPEN,
            created_at__gte=self.now - datetime.timedelta(days=45),
            assignments__isnull=True,
        ).order_by("-created_at")[: min(added, ROUTED_LEADS)]
        bulk_route_leads(leads=list(recent), by=self.users["admin"], trigger="seed")

    # --- cheap values --------------------------------------------------------------

    def _name(self):
        return self.rng.choice(self.pools.first_names), self.rng.choice(
            self.pools.last_names
        )

    def _place(self):
        return self.rng.choices(self.pools.places, weights=self.pools.place_weights)[0]

    def _phone(self):
        return f"+1 555 {self.rng.randrange(10**7):07d}"

    def _past(self, days):
        return self.now - datetime.timedelta(seconds=self.rng.randrange(days * 86400))


def _between(rng, start, end):
    if end <= start:
        return start
    return start + datetime.timedelta(
        seconds=rng.randrange(int((end - start).total_seconds()) + 1)
    )


@functools.cache
def _slug(text):
    # ASCII only: "Dupré" becomes "dupre", so every address passes EmailValidator.
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in ascii_text.lower() if c.isalnum())[:40] or "company"


def _email(first, last, n, domain):
    local = ".".join(_slug(p) for p in (first, last) if p)
    return f"{local}{n}@{domain}"


def _set_primary_contacts(account_ids):
    """Each account's primary contact: its first contact (one UPDATE statement)."""
    if not account_ids:
        return
    first_contact = Contact.objects.filter(account=OuterRef("pk")).order_by("pk")
    Account.objects.filter(pk__in=account_ids, primary_contact__isnull=True).update(
        primary_contact=Subquery(first_contact.values("pk")[:1])
    )
