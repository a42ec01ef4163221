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
from django.utils.safestring import SafeString, mark_safe


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
