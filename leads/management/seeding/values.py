"""Constants, Faker pools and cheap value helpers the row builders share.

Faker is slow per call, so names, companies, places and sentences are generated once
into pools and rows pick from them. Everything here is plain data: ints, not enum
members, because the writers take database values.
"""

import datetime
import functools
import random
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate

from faker import Faker

from accounts.models import Industry, OpportunityStatus
from leads.models import (
    LEAD_STATE_OF_STATUS,
    ActivityKind,
    ActivityState,
    BudgetStatus,
    Direction,
    LeadRating,
    LeadSource,
    LeadState,
    LeadStatus,
    Need,
    PurchaseProcess,
    PurchaseTimeframe,
)

HISTORY_DAYS = 548  # about 18 months

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
NOTE_TITLES = ["Call notes", "Requirements", "Follow-up", ""]
ESTIMATED_VALUES = [Decimal(k * 1000) for k in (5, 8, 12, 20, 35, 60, 90, 150)]


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


def creation_times(rng, count, *, now, days=HISTORY_DAYS):
    """`count` creation times over the last `days` (uniform, whole seconds), oldest
    first, one at a time: the n-th lead written gets the n-th time, so creation
    dates rise with the id as in a real table (date-range queries meet the real
    layout, not a shuffled one).

    The times come sorted without being held: the largest of k uniform draws is
    distributed as U ** (1 / k), so the offsets are drawn from the largest down,
    each the largest of the ones left. Memory stays the same for ten million
    leads as for ten. Draws from a generator of its own seeded by `rng`, so the
    row builders' draws do not depend on how far the times were taken."""
    times = random.Random(rng.getrandbits(64))
    span = days * 86400
    second = datetime.timedelta(seconds=1)
    largest = 1.0
    for left in range(count, 0, -1):
        largest *= times.random() ** (1.0 / left)
        yield now - int(largest * span) * second


def between(rng, start, end):
    if end <= start:
        return start
    return start + datetime.timedelta(
        seconds=rng.randrange(int((end - start).total_seconds()) + 1)
    )


def past(rng, now, days):
    return now - datetime.timedelta(seconds=rng.randrange(days * 86400))


def phone(rng):
    return f"+1 555 {rng.randrange(10**7):07d}"


@functools.cache
def slug(text):
    # ASCII only: "Dupré" becomes "dupre", so every address passes EmailValidator.
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in ascii_text.lower() if c.isalnum())[:40] or "company"


def email(first, last, n, domain):
    local = ".".join(slug(p) for p in (first, last) if p)
    return f"{local}{n}@{domain}"
