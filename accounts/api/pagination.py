"""Keyset (cursor) pages in an order the list allows: the accounts app's lists.
Generic (no model of ours): a candidate for leadsite/core/api.py beside
KeysetPagination, which pages in one fixed order."""

import base64
import binascii
import datetime
import json
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

# A bigint primary key or counter; a cursor value beyond it was not made here.
MAX_INTEGER = 2**63 - 1


def _descending(key: str) -> bool:
    return key.startswith("-")


def _flip(key: str) -> str:
    return key[1:] if _descending(key) else f"-{key}"


def with_pk(keys) -> tuple[str, ...]:
    """`keys` ending in the primary key (in the last key's direction): a total
    order, so a page boundary is one exact place."""
    keys = tuple(keys)
    if keys[-1].lstrip("-") in ("id", "pk"):
        return keys
    return (*keys, "-id" if _descending(keys[-1]) else "id")


def _after(order, values) -> Q:
    """Rows after `values` in `order` (names, "-" for descending): a > x, or a = x
    and (b > y, or b = y and ...), led by a >= x so an index on the first column
    serves the range."""
    condition = None
    for key, value in reversed(list(zip(order, values, strict=True))):
        name = key.lstrip("-")
        step = Q(**{f"{name}__{'lt' if _descending(key) else 'gt'}": value})
        condition = (
            step if condition is None else step | (Q(**{name: value}) & condition)
        )
    first = order[0]
    lead = Q(
        **{f"{first.lstrip('-')}__{'lte' if _descending(first) else 'gte'}": values[0]}
    )
    return lead & condition


def _jsonable(value):
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _cursor_value(model, key: str, value):
    """A value from a cursor, as its column's Python value; ValueError when it
    cannot be one (a cursor the API did not make)."""
    field = model._meta.get_field(key.lstrip("-"))
    if value is None or isinstance(value, bool | dict | list):
        raise ValueError("not a column value")
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("NUL")
    python = field.to_python(value)
    if isinstance(python, int) and not -MAX_INTEGER <= python <= MAX_INTEGER:
        raise ValueError("out of range")
    if isinstance(field, models.DateTimeField) and python.tzinfo is None:
        raise ValueError("naive moment")
    return python


class OrderedKeysetPagination(BasePagination):
    """Cursor pages in one of the orders the view allows (`?ordering=`, names from
    `view.orderings`, `view.default_ordering` when absent), each ending in the
    primary key. The next page starts after the last row's values (a keyset
    comparison on indexed columns, no OFFSET), so a deep page costs what the first
    one does, rows added meanwhile never shift a page, and a thousand contacts
    named Smith page like any others. No total count.

    The cursor is the boundary row's ordering values (base64 JSON, with the
    ordering's name and direction); a tampered one is a 400, and it only moves
    within the caller's scope."""

    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    cursor_query_param = "cursor"
    ordering_query_param = "ordering"
    invalid_cursor = _(
        "This cursor is not one the API gave for this list and ordering; follow "
        "`next` or `previous` as they come."
    )

    def paginate_queryset(self, queryset, request, view=None):
        orderings = view.orderings
        name = request.query_params.get(self.ordering_query_param) or (
            view.default_ordering
        )
        if name not in orderings:
            raise exceptions.ValidationError(
                {
                    "ordering": [
                        gettext("Order by one of: %(orderings)s.")
                        % {"orderings": ", ".join(orderings)}
                    ]
                }
            )
        self.request = request
        self.ordering_name = name
        self.keys = with_pk(orderings[name])
        size = self.get_page_size(request)
        cursor = self._decode(request, queryset.model)
        backwards = cursor is not None and cursor[1]
        order = [_flip(key) for key in self.keys] if backwards else list(self.keys)
        rows = queryset.order_by(*order)
        if cursor is not None:
            rows = rows.filter(_after(order, cursor[0]))
        rows = list(rows[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        if backwards:
            rows.reverse()
            self.has_previous, self.has_next = more, True
        else:
            self.has_previous, self.has_next = cursor is not None, more
        self.rows = rows
        return rows

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw.isascii() and raw.isdigit() and int(raw) > 0:
            return min(int(raw), self.max_page_size)
        return self.page_size

    def _decode(self, request, model):
        raw = request.query_params.get(self.cursor_query_param)
        if raw is None:
            return None
        try:
            padded = raw.encode("ascii") + b"=" * (-len(raw) % 4)
            token = json.loads(base64.urlsafe_b64decode(padded))
            if not isinstance(token, dict) or token.get("o") != self.ordering_name:
                raise ValueError("another ordering")
            values = token.get("v")
            if not isinstance(values, list) or len(values) != len(self.keys):
                raise ValueError("not this ordering's values")
            values = [
                _cursor_value(model, key, value)
                for key, value in zip(self.keys, values, strict=True)
            ]
        except (ValueError, TypeError, binascii.Error, ValidationError):
            raise exceptions.ValidationError(
                {"cursor": [str(self.invalid_cursor)]}
            ) from None
        return values, bool(token.get("r"))

    def _link(self, row, *, backwards: bool) -> str:
        values = [_jsonable(getattr(row, key.lstrip("-"))) for key in self.keys]
        token = {"o": self.ordering_name, "v": values}
        if backwards:
            token["r"] = 1
        raw = json.dumps(token, separators=(",", ":")).encode()
        cursor = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, cursor)

    def get_next_link(self):
        if not (self.has_next and self.rows):
            return None
        return self._link(self.rows[-1], backwards=False)

    def get_previous_link(self):
        if not (self.has_previous and self.rows):
            return None
        return self._link(self.rows[0], backwards=True)

    def get_paginated_response(self, data):
        return Response(
            {
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {**link, "description": _("The next page; null on the last.")},
                "previous": {
                    **link,
                    "description": _("The page before; null on the first."),
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "in": "query",
                "required": False,
                "description": _("Where the page starts: from `next` or `previous`."),
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "in": "query",
                "required": False,
                "description": _(
                    "Rows per page (default %(default)s, at most %(most)s; another "
                    "value: the default)."
                )
                % {"default": self.page_size, "most": self.max_page_size},
                "schema": {"type": "integer"},
            },
            {
                "name": self.ordering_query_param,
                "in": "query",
                "required": False,
                "description": _("The order (indexed columns only; `-` descending)."),
                "schema": {
                    "type": "string",
                    "enum": list(view.orderings),
                    "default": view.default_ordering,
                },
            },
        ]
