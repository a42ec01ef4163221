"""Languages and time zones a user may pick (User.language, User.time_zone): the
choices the forms offer and the check a stored value must pass."""

import hashlib
import zoneinfo
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

# Zones of these regions are offered; the rest of the tz database (Etc/GMT+5,
# US/Eastern aliases, "posixrules") stays valid but is not listed.
REGIONS = {
    "Africa": _("Africa"),
    "America": _("America"),
    "Antarctica": _("Antarctica"),
    "Arctic": _("Arctic"),
    "Asia": _("Asia"),
    "Atlantic": _("Atlantic"),
    "Australia": _("Australia"),
    "Europe": _("Europe"),
    "Indian": _("Indian Ocean"),
    "Pacific": _("Pacific"),
}


@cache
def available_zones() -> frozenset[str]:
    """Every zone name of this machine's tz database."""
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    """Refuse a name that is not a zone of the tz database (empty is the site's)."""
    if value and value not in available_zones():
        raise ValidationError(
            _("%(value)s is not a time zone; pick one from the list."),
            code="invalid_time_zone",
            params={"value": value},
        )


def zone(name: str) -> zoneinfo.ZoneInfo | None:
    """The ZoneInfo called `name`; None for none or a name unknown here."""
    if not name or name not in available_zones():
        return None
    return zoneinfo.ZoneInfo(name)


@cache
def _zone_groups() -> tuple:
    groups: dict[str, list] = {}
    for name in sorted(available_zones()):
        region, _sep, place = name.partition("/")
        if region in REGIONS and place:
            groups.setdefault(region, []).append(
                (name, place.replace("_", " ").replace("/", " / "))
            )
    if "UTC" in available_zones():
        groups.setdefault("UTC", []).append(("UTC", "UTC"))
    return tuple((region, tuple(zones)) for region, zones in groups.items())


def time_zone_choices() -> list:
    """The zones grouped by region (optgroups), after "the site's time zone"."""
    site = _("Organisation default (%(zone)s)") % {"zone": settings.TIME_ZONE}
    return [
        ("", site),
        *[
            (REGIONS.get(region, region), list(zones))
            for region, zones in _zone_groups()
        ],
    ]


def language_choices() -> list:
    """ "The browser's language", then settings.LANGUAGES (each in its own name)."""
    return [("", _("Browser's language")), *settings.LANGUAGES]


def catalog_version() -> str:
    """A short digest of the compiled JavaScript catalogs (locale/*/LC_MESSAGES/
    djangojs.mo): the cache key of /jsi18n/ changes when they do."""
    digest = hashlib.sha256()
    for path in settings.LOCALE_PATHS:
        for mo in sorted(Path(path).glob("*/LC_MESSAGES/djangojs.mo")):
            digest.update(mo.read_bytes())
    return digest.hexdigest()[:12]


@contextmanager
def speaking(language: str, time_zone: str):
    """Render in a user's language and time zone (their User.language and
    User.time_zone; empty: the site's LANGUAGE_CODE and TIME_ZONE): the emails
    and notifications written for them outside their own requests."""
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    with translation.override(language), timezone.override(zone(time_zone)):
        yield


# Distinct messages remembered per language at most (the product's msgids number a
# few thousand; a message built at run time past this is looked up every time).
REMEMBERED_MESSAGES = 20_000


def remember_translations() -> None:
    """Each language's translation object remembers the messages it has looked up.

    Django looks a message up in every catalog of the language (one per app with a
    locale folder), then in the fallback language's, on every call: about 300
    calls a lead page, the same strings each time. The catalogs do not change once
    a translation object is built (Django builds a new object when LANGUAGES or
    LOCALE_PATHS change), so the answer for a message is remembered on the object
    itself: another language, or a rebuilt catalog, starts with nothing remembered.
    Called once from accounts.apps."""
    from django.utils.translation.trans_real import DjangoTranslation

    if getattr(DjangoTranslation.gettext, "remembers", False):
        return
    lookup = DjangoTranslation.gettext

    def gettext(self, message):
        remembered = self.__dict__.setdefault("_remembered", {})
        try:
            return remembered[message]
        except KeyError:
            pass
        result = lookup(self, message)
        if len(remembered) < REMEMBERED_MESSAGES:
            remembered[message] = result
        return result

    gettext.remembers = True
    DjangoTranslation.gettext = gettext
