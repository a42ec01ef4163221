"""The second template engine (settings.TEMPLATES, templates in templates/jinja2/).

It draws what a page repeats by the hundred (the lead list's rows, the timeline,
opportunity rows, the options of a long picker), the badges those tables share, and
the lead page's panels (field groups, score, stage bar, related records,
transition buttons): the Django engine spent several times longer on the same
markup, about half of the lead page's time. Django pages bring
these templates in with `{% jinja %}` and the single-badge tags
(accounts/templatetags/ui.py, leads/templatetags/lead_display.py), which call the
same macros the tables call, so each piece of markup exists once.
"""

import re

from django.forms.renderers import BaseRenderer
from django.template import defaultfilters, engines
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from jinja2 import Environment
from markupsafe import Markup

from leadsite.core import display

# Jinja2's i18n extension, with whitespace in {% trans %} blocks collapsed as in
# Django's {% blocktranslate trimmed %}; scripts/i18n.py extracts with the same
# options.
I18N_EXTENSION = "jinja2.ext.i18n"
I18N_POLICIES = {"ext.i18n.trimmed": True}


def environment(**options) -> Environment:
    """The engine's environment (settings.TEMPLATES "environment"): Django's
    gettext functions as `_`, `gettext`, `ngettext`, `pgettext` and `npgettext`,
    "newstyle" (keyword placeholders, autoescaped values: `{{ _("Select
    %(name)s", name=row.name) }}`). They translate when called, so a cached
    template or macro speaks the language active at that moment."""
    extensions = list(options.pop("extensions", []))
    if I18N_EXTENSION not in extensions:
        extensions.append(I18N_EXTENSION)
    env = Environment(extensions=extensions, **options)
    env.policies.update(I18N_POLICIES)
    env.install_gettext_translations(translation, newstyle=True)
    env.globals["url"] = url
    env.filters.update(
        date=date,
        money=display.money,
        breakable=breakable,
        floatformat=defaultfilters.floatformat,
        linebreaksbr=defaultfilters.linebreaksbr,
        capfirst=defaultfilters.capfirst,
    )
    return env


# What Django's template language gives its pages, for the same markup here.


def url(name, *args):
    """`{{ url("leads:edit", lead.pk) }}`: as Django's {% url %}."""
    return reverse(name, args=args)


def date(value, fmt=None):
    """`{{ lead.created_at|date("SHORT_DATETIME_FORMAT") }}`: as Django's `date`
    filter, in the current time zone ("" for no value)."""
    return defaultfilters.date(template_localtime(value), fmt)


# Where an e-mail address or URL may wrap, as typesetters break them: after "@" and
# "/" (not between the two of "//"), before ".", "?", "&", "#" and "=".
BREAK_POINTS = re.compile(r"(?<=[@/])(?!/)|(?=[.?&#=])")


def breakable(value):
    """`{{ lead.email|breakable }}`: the value's text with <wbr> at BREAK_POINTS,
    so a narrow column wraps "ana.trujillo@" / "treyresearch" / ".example"
    rather than inside a word. Put it on the link text, never in an href."""
    parts = BREAK_POINTS.split(str(value))
    # Markup.join escapes each part: only the <wbr> between them is markup.
    return Markup("<wbr>").join(part for part in parts if part)


def _environment():
    return engines["jinja2"].env


def render(template_name: str, context: dict) -> SafeString:
    """`template_name` rendered with `context` only (no request, no context
    processors), as a `{% include ... only %}` would."""
    html = _environment().get_template(template_name).render(context)
    return mark_safe(html)  # noqa: S308 - the engine escaped every value (autoescape)


def macro(template_name: str, name: str):
    """The macro `name` of `template_name`: called with its arguments, it returns
    the escaped markup (markupsafe.Markup, safe in Django templates too)."""
    return getattr(_environment().get_template(template_name).module, name)


class FormRenderer(BaseRenderer):
    """A form renderer for the widgets whose template is a Jinja2 one
    (leadsite.core.forms.QuickSelect)."""

    def get_template(self, template_name):
        return engines["jinja2"].get_template(template_name)


renderer = FormRenderer()
