"""drf-spectacular postprocessing hooks (SPECTACULAR_SETTINGS): the schema tells
the truth about what the API answers - the problems of every operation, and email
or URL fields that may be blank. Imports no app."""

from django.utils.translation import gettext_lazy as _

from leadsite.core.api import PROBLEM_CONTENT_TYPE

# What any operation may answer besides its own responses: the problems of the
# exception handler above.
COMMON_PROBLEMS = {
    "400": _("Invalid values or a body that could not be read (`errors` per field)"),
    "401": _("No credentials, or a revoked, expired or unknown token"),
    "403": _("Not allowed (a read-only token writing, a role without the right)"),
    "404": _("No such record, or not one you may see"),
    "405": _("Method not allowed here"),
    "406": _("Cannot answer in the format asked for (Accept)"),
    "415": _("Unsupported Content-Type"),
    "429": _("Too many requests (`Retry-After`)"),
}
# And every write: If-Match, the services' refusals, Idempotency-Key.
WRITE_PROBLEMS = {
    "409": _("The services refused the step (the page's sentence)"),
    "412": _("Stale If-Match: `current` holds the record as stored now"),
    "422": _("This Idempotency-Key came with another request"),
    "428": _("If-Match missing"),
}
PROBLEM_SCHEMA = {
    "type": "object",
    "description": _("RFC 9457 problem details."),
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "current": {"type": "object", "additionalProperties": True},
    },
    "required": ["type", "title", "status", "detail"],
    "additionalProperties": True,
}


def add_problem_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS): every operation
    documents the problems it may answer, as application/problem+json with the
    Problem schema, so a client (and schemathesis) can rely on the schema."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = (
        PROBLEM_SCHEMA
    )
    content = {
        PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    for methods in result.get("paths", {}).values():
        for method, operation in methods.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            problems = dict(COMMON_PROBLEMS)
            if method in ("post", "put", "patch", "delete"):
                problems.update(WRITE_PROBLEMS)
            responses = operation["responses"]
            for code, description in problems.items():
                responses.setdefault(code, {"description": description})
            for code, response in responses.items():
                if code[0] in "45" and "content" not in response:
                    response["content"] = content
    return result


# Formats of text fields that may also be blank ("" when not given).
BLANKABLE_FORMATS = {"email", "uri"}


def allow_blank_formats(result, generator, request, public):
    """drf-spectacular postprocessing hook: an email or URL field that may be blank
    is documented as "that format, or empty" (its value is "" when not given)."""
    for component in result.get("components", {}).get("schemas", {}).values():
        for name, prop in component.get("properties", {}).items():
            if prop.get("type") == "string" and prop.get("format") in BLANKABLE_FORMATS:
                shared = {
                    key: prop.pop(key)
                    for key in ("readOnly", "writeOnly", "description", "nullable")
                    if key in prop
                }
                component["properties"][name] = {
                    "anyOf": [prop, {"type": "string", "maxLength": 0}],
                    **shared,
                }
    return result
