"""The small fixed part, written through the ORM: products, campaigns, the capture
form, routing rules, and the base accounts with their contacts."""

import datetime
from decimal import Decimal

from django.db.models import OuterRef, Subquery

from accounts.models import Account, Contact, Industry, Product
from leads.management.seeding.values import (
    HISTORY_DAYS,
    VALUES,
    email,
    past,
    phone,
    slug,
)
from leads.models import Campaign, CaptureForm, Distribution, LeadSource, RoutingRule

BASE_ACCOUNT_PREFIX = "ACC-"
BASE_ACCOUNTS = 100
BASE_CONTACTS = 200

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

# (name, order, conditions, target user, target team)
RULES = [
    (
        # The leads the score rates best first (a new lead is scored before it
        # is routed).
        "Hot leads (score 60+) to a senior rep",
        5,
        [{"field": "score", "op": "gte", "value": 60}],
        "rep3",
        None,
    ),
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


def build_catalog(ctx):
    """Products, campaigns, the capture form and routing rules (by name: idempotent)."""
    ctx.products = [
        Product.objects.get_or_create(
            product_number=number, defaults={"name": name, "price": Decimal(price)}
        )[0]
        for number, name, price in PRODUCTS
    ]
    today = ctx.now.date()
    ctx.campaigns_by_source = {}
    for name, source, cost, started, length in CAMPAIGNS:
        start = today - datetime.timedelta(days=started)
        campaign, _ = Campaign.objects.get_or_create(
            name=name,
            defaults={
                "source": source,
                "start_date": start,
                "end_date": start + datetime.timedelta(days=length),
                "cost": Decimal(cost) if cost else None,
                "business_unit": ctx.units["Contoso"],
                "is_active": started - length < 0,
            },
        )
        ctx.campaigns_by_source.setdefault(source, []).append(campaign)
    ctx.capture_form, _ = CaptureForm.objects.get_or_create(
        name="Website contact form",
        defaults={
            "business_unit": ctx.units["Contoso"],
            "campaign": ctx.campaigns_by_source[LeadSource.WEB][0],
            "fields_shown": ["first_name", "company_name", "business_phone"],
        },
    )
    ctx.rules = [
        RoutingRule.objects.get_or_create(
            name=name,
            defaults={
                "order": order,
                "target_user": ctx.users[user] if user else None,
                "target_team": ctx.teams[team] if team else None,
                "distribution": Distribution.ROUND_ROBIN,
                "conditions": conditions,
            },
        )[0]
        for name, order, conditions, user, team in RULES
    ]


def pick_owner_objects(ctx):
    return ctx.rng.choices(ctx.owners, weights=[o[3] for o in ctx.owners])[0][:3]


def build_base_accounts(ctx):
    """BASE_ACCOUNTS accounts (every twelfth a channel partner) with BASE_CONTACTS
    contacts between them, topped up to those counts."""
    rng, pools = ctx.rng, ctx.pools
    base = Account.objects.filter(account_number__startswith=BASE_ACCOUNT_PREFIX)
    have = base.count()
    accounts = []
    for i in range(have, BASE_ACCOUNTS):
        owner_user, owner_team, unit = pick_owner_objects(ctx)
        place = rng.choices(pools.places, weights=pools.place_weights)[0]
        name = pools.companies[i % len(pools.companies)]
        accounts.append(
            Account(
                name=name,
                account_number=f"{BASE_ACCOUNT_PREFIX}{i + 1:05d}",
                website=f"https://www.{slug(name)}.example",
                phone=phone(rng),
                email=f"info@{slug(name)}.example",
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
                created_at=past(rng, ctx.now, HISTORY_DAYS + 200),
            )
        )
    Account.objects.bulk_create(accounts)
    ctx.base_accounts = list(base.order_by("pk"))
    ctx.partner_ids = [a.pk for a in ctx.base_accounts if a.is_partner]
    have_contacts = Contact.objects.filter(account__in=ctx.base_accounts).count()
    contacts = []
    for i in range(have_contacts, BASE_CONTACTS):
        account = ctx.base_accounts[i % len(ctx.base_accounts)]
        first, last = ctx.pick_name()
        contacts.append(
            Contact(
                first_name=first,
                last_name=last,
                job_title=rng.choice(pools.job_titles),
                email=email(first, last, i, slug(account.name) + ".example"),
                business_phone=phone(rng),
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
    _set_primary_contacts([a.pk for a in ctx.base_accounts])


def _set_primary_contacts(account_ids):
    """Each account's primary contact: its first contact (one UPDATE statement)."""
    if not account_ids:
        return
    first_contact = Contact.objects.filter(account=OuterRef("pk")).order_by("pk")
    Account.objects.filter(pk__in=account_ids, primary_contact__isnull=True).update(
        primary_contact=Subquery(first_contact.values("pk")[:1])
    )
