"""What the language tests share (tests/test_pseudo_locale.py,
tests/browser/test_languages_browser.py): a small dataset whose every value is a
made-up word (so no English in a page can come from it), the pages to read, the
texts of a page as a user meets them, and the words of those texts that are
English.

A page's texts: every text node (the <title> included; scripts and styles not),
and the attributes a user reads or hears (title, placeholder, aria-label, alt,
an <optgroup>'s label, a button input's value, data-confirm, data-label)."""

import datetime
import re
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from accounts.permissions import ADMINISTRATOR, SALES_MANAGER, SALES_REP
from leads.models import ActivityKind, LeadSource
from notifications.models import Kind, Notification
from tests import factories
from tests.reading import Element, page
from tests.support import user_in

BASE_DIR = Path(settings.BASE_DIR)

# The dataset's words: none is an English word.
WORDS = (
    "Zorvek Quandril Vantrex Brenquil Ostravik Plovna Trezzik Mirvane Kolvaro "
    "Drasmun Yelvik Quorra Fennix Zalbor Ruvesk Hontra Glavik Pruzzo Xenqua "
    "Wolvra Stenvik Jorrak Nembra Torvik"
).split()
# Words that stay as they are in every language.
ALLOWED = {"LeadSite", "USD", "EUR", "UTC"}
# Attributes whose value a user reads (or a screen reader says).
READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "data-confirm")
READ_ATTRIBUTES += ("data-label", "aria-description", "aria-roledescription")
SKIPPED_TAGS = {"script", "style"}
ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*[A-Za-z]")
NOT_WORDS = re.compile(
    r"[\w.+-]+@[\w-]+(\.[\w-]+)+"  # addresses
    r"|https?://\S+|www\.\S+"  # links
    r"|(?<![\w/])/[\w/.?=&%-]*"  # paths
    r"|\b[\w-]+\.(pdf|csv|xlsx|txt|png|zip)\b"  # file names
    r"|\b[A-Z][a-z]+/[A-Z][\w/+-]+\b"  # time zones (Europe/Berlin)
)


@dataclass
class Dataset:
    rep: object
    manager: object
    administrator: object
    lead: object
    account: object
    contact: object
    opportunity: object
    capture_form: object


def build_dataset() -> Dataset:
    """Three users (one per role) in one unit, a lead with a note and an open
    activity, an account with a contact and an open opportunity, a campaign, a
    routing rule, a capture form and a notification."""
    unit = factories.BusinessUnitFactory(name="Plovna")
    people = {}
    for role, username, first, last in (
        (SALES_REP, "zorvek", "Zorvek", "Quandril"),
        (SALES_MANAGER, "brenquil", "Brenquil", "Ostravik"),
        (ADMINISTRATOR, "trezzik", "Trezzik", "Mirvane"),
    ):
        people[role] = user_in(
            role,
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@vantrex.example",
            business_unit=unit,
            is_staff=role == ADMINISTRATOR,
        )
    rep = people[SALES_REP]
    campaign = factories.CampaignFactory(
        name="Kolvaro", source=LeadSource.WEB, cost=Decimal("1200.00")
    )
    account = factories.AccountFactory(
        owner_user=rep,
        name="Vantrex",
        email="info@vantrex.example",
        website="https://vantrex.example",
        city="Drasmun",
        country="Yelvik",
        phone="+49 30 1234567",
    )
    contact = factories.ContactFactory(
        owner_user=rep,
        first_name="Quorra",
        last_name="Fennix",
        email="quorra@vantrex.example",
        account=account,
    )
    opportunity = factories.OpportunityFactory(
        owner_user=rep, account=account, name="Zalbor Ruvesk"
    )
    created = timezone.now() - datetime.timedelta(days=3)
    lead = factories.LeadFactory(
        owner_user=rep,
        subject="Hontra Glavik",
        first_name="Pruzzo",
        last_name="Xenqua",
        email="pruzzo@wolvra.example",
        company_name="Wolvra",
        campaign=campaign,
        created_at=created,
    )
    for n, (first, last) in enumerate((("Stenvik", "Jorrak"), ("Nembra", "Torvik"))):
        factories.LeadFactory(
            owner_user=rep,
            subject=f"Stenvik {n + 1}",
            first_name=first,
            last_name=last,
            email=f"{first.lower()}@jorrak.example",
            company_name="Jorrak",
            created_at=created,
        )
    factories.NoteFactory(
        lead=lead, created_by=rep, title="Trezzik Kolvaro", text="Mirvane Drasmun"
    )
    factories.ActivityFactory(
        lead=lead,
        owner=rep,
        created_by=rep,
        kind=ActivityKind.PHONE_CALL,
        subject="Yelvik Quorra",
    )
    factories.RoutingRuleFactory(name="Fennix Zalbor", target_user=rep)
    capture_form = factories.CaptureFormFactory(
        name="Ruvesk",
        business_unit=unit,
        campaign=campaign,
        fields_shown=["first_name", "last_name", "company_name", "business_phone"],
    )
    Notification.objects.create(
        user=rep, kind=Kind.LEAD_ASSIGNED, text="Hontra Glavik", target_id=None
    )
    return Dataset(
        rep=rep,
        manager=people[SALES_MANAGER],
        administrator=people[ADMINISTRATOR],
        lead=lead,
        account=account,
        contact=contact,
        opportunity=opportunity,
        capture_form=capture_form,
    )


def pages(data: Dataset) -> dict[str, str]:
    """Name -> URL of the pages the language tests read."""
    return {
        "lead list": reverse("leads:list"),
        "lead page": reverse("leads:detail", args=[data.lead.pk]),
        "qualify dialog": reverse("leads:qualify", args=[data.lead.pk]),
        "source report": reverse("leads:source-report"),
        "routing": reverse("leads:routing"),
        "board": reverse("leads:board"),
        "import page": reverse("leads:import"),
        "account page": reverse("accounts:account-detail", args=[data.account.pk]),
        "contact page": reverse("accounts:contact-detail", args=[data.contact.pk]),
        "opportunity page": reverse(
            "accounts:opportunity-detail", args=[data.opportunity.pk]
        ),
        "my settings": reverse("accounts:settings"),
        "notification settings": reverse("notifications:settings"),
        "notifications": reverse("notifications:list"),
        "admin lead list": reverse("admin:leads_lead_changelist"),
    }


def public_pages(data: Dataset) -> dict[str, str]:
    return {
        "login page": reverse("login"),
        "capture form": reverse("capture", args=[data.capture_form.token]),
    }


# --- The database's own values -----------------------------------------------------

# Rows that are not the dataset (their names are Django's and the apps' own text).
NOT_DATA = {
    ("auth", "permission"),
    ("contenttypes", "contenttype"),
    ("sessions", "session"),
    ("admin", "logentry"),
}


def data_values() -> list[str]:
    """Every text stored in the database (the dataset, and what migrations seed:
    roles, stages, default rules), except choice codes: a page may show them as
    they are."""
    values = set()
    for model in apps.get_models():
        if (model._meta.app_label, model._meta.model_name) in NOT_DATA:
            continue
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
            and not f.choices
        ]
        if not fields:
            continue
        for row in model._base_manager.values_list(*fields):
            for value in row:
                values.update(_strings(value))
    return sorted((v for v in values if len(v) > 1), key=len, reverse=True)


def _strings(value):
    if isinstance(value, str):
        yield value.strip()
        yield from (line.strip() for line in value.splitlines())
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


class EnglishFinder:
    """Finds the English words of a text, once the database's values, the
    dataset's words, addresses, links and ALLOWED are taken out."""

    def __init__(self, values: list[str]):
        parts = [re.escape(v) for v in values if v]
        self.values = (
            re.compile(r"(?<!\w)(" + "|".join(parts) + r")(?!\w)") if parts else None
        )

    def words(self, text: str) -> list[str]:
        if self.values is not None:
            text = self.values.sub(" ", text)
        text = NOT_WORDS.sub(" ", text)
        return [
            w for w in ENGLISH_WORD.findall(text) if w not in ALLOWED and w not in WORDS
        ]


# --- A page's texts -----------------------------------------------------------------


def texts(html) -> list[tuple[str, str]]:
    """(where, text) of everything a user reads on the page: where is the element
    (tag#id.class) and, for an attribute, its name."""
    found = []
    _walk(page(html), found, skip=False)
    return found


def _label(element: Element) -> str:
    label = element.tag
    if element.attrs.get("id"):
        label += f"#{element.attrs['id']}"
    if element.attrs.get("class"):
        label += "." + ".".join(element.attrs["class"].split()[:2])
    return label


def _walk(element: Element, found: list, skip: bool):
    if element.tag in SKIPPED_TAGS:
        return
    # The brand, the language names of the switcher and the time zones' place
    # names are the same in every language.
    classes = element.classes
    if "brand" in classes:
        return
    name = element.attrs.get("name")
    skip_options = (
        skip or name in ("time_zone", "language") or ("language-switcher" in classes)
    )
    where = _label(element)
    for attribute in READ_ATTRIBUTES:
        value = element.attrs.get(attribute)
        if value and value.strip():
            found.append((f"{where}[{attribute}]", value.strip()))
    if element.tag == "optgroup" and element.attrs.get("label"):
        found.append((f"{where}[label]", element.attrs["label"]))
    if element.tag == "input" and element.attrs.get("type") in ("submit", "button"):
        if element.attrs.get("value"):
            found.append((f"{where}[value]", element.attrs["value"]))
    pieces = []  # text split only by <wbr> (long addresses) is one text

    def flush():
        text = " ".join("".join(pieces).split())
        if text and not (skip_options and element.tag == "option"):
            found.append((where, text))
        pieces.clear()

    for child in element.children:
        if isinstance(child, str):
            pieces.append(child)
        elif child.tag == "wbr":
            continue
        else:
            flush()
            _walk(child, found, skip_options)
    flush()


# --- Catalogs -----------------------------------------------------------------------


def extract_pot(pot_dir: Path) -> dict[str, Path]:
    """The code's msgids now (scripts/i18n.py pot): domain -> .pot file."""
    run = subprocess.run(
        [sys.executable, str(BASE_DIR / "scripts" / "i18n.py"), "pot", str(pot_dir)],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, f"scripts/i18n.py pot failed:\n{run.stderr}"
    return {p.stem: p for p in pot_dir.glob("*.pot")}
