"""The second template engine (settings.TEMPLATES, templates in templates/jinja2/).

It draws what a page repeats by the hundred (the lead list's rows, the timeline,
opportunity rows, the options of a long picker) and the badges those tables share:
the Django engine spent several times longer on the same loops. Django pages bring
these templates in with `{% jinja %}` and the single-badge tags
(accounts/templatetags/ui.py, leads/templatetags/lead_display.py), which call the
same macros the tables call, so each piece of markup exists once.
"""

from django.forms.renderers import BaseRenderer
from django.template import engines
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from jinja2 import Environment

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
    return env


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
