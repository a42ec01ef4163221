"""One way to turn a refusal into the sentence a user reads in a message."""

from django.core.exceptions import ValidationError
from django.forms.utils import pretty_name
from django.utils.translation import gettext


def error_message(error, form=None) -> str:
    """The messages of `error` as one sentence; field errors are prefixed with the
    field's label (from `form` when given). Anything not a ValidationError gives its
    text, or a generic refusal."""
    if not isinstance(error, ValidationError):
        return str(error) or gettext("That is not possible now.")
    if hasattr(error, "error_dict"):
        parts = []
        for name, errors in error.message_dict.items():
            label = None
            if form is not None and name in form.fields:
                label = form.fields[name].label
            label = label or pretty_name(name)
            text = " ".join(errors)
            parts.append(
                text
                if name == "__all__"
                else gettext("%(field)s: %(message)s")
                % {"field": label, "message": text}
            )
        return " ".join(parts)
    return " ".join(error.messages)
