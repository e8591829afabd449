import base64
import binascii
import json

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

# Highest page number accepted; deeper lists are for filters, not for paging.
MAX_PAGE = 1_000_000


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=` (1 to MAX_PAGE, or `last`) and `?page_size=` (1 to 100, default 20).

    A page that is not a number in range is a 400 naming `page`; a page past the end is a 404.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_number(self, request, paginator):
        page = request.query_params.get(self.page_query_param) or "1"
        if page in self.last_page_strings:
            return paginator.num_pages
        if not page.isdecimal() or not 1 <= int(page) <= MAX_PAGE:
            raise ValidationError(
                {self.page_query_param: [f"A page number from 1 to {MAX_PAGE}, or 'last'."]}
            )
        return int(page)

    def get_schema_operation_parameters(self, view):
        bounds = {
            self.page_query_param: {"minimum": 1, "maximum": MAX_PAGE},
            self.page_size_query_param: {"minimum": 1, "maximum": self.max_page_size},
        }
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters


class KeysetPagination(pagination.BasePagination):
    """Cursor pages over a unique order served by an index (the view's `keyset`, e.g.
    `("column", "order", "id")`, descending when the view says `keyset_descending`):
    `?cursor=` (from `next`) and `?page_size=` (1 to 100).

    A page is one index range scan after the last row of the page before, however deep,
    and there is no `count` to compute. Rows written between two pages are neither skipped
    nor repeated if they sort after the cursor. Paging runs forward only.
    """

    page_size = 20
    max_page_size = 100
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"

    def paginate_queryset(self, queryset, request, view=None):
        self.keyset, self.model, self.request = view.keyset, queryset.model, request
        descending = getattr(view, "keyset_descending", False)
        size = self._page_size(request)
        after = self._decode(request.query_params.get(self.cursor_query_param))
        queryset = queryset.order_by(*(f"-{name}" if descending else name for name in self.keyset))
        if after is not None:
            lhs = Tuple(*(F(name) for name in self.keyset))
            queryset = queryset.filter((TupleLessThan if descending else TupleGreaterThan)(lhs, after))
        rows = list(queryset[: size + 1])
        page = rows[:size]
        self.last = self._keyset_of(page[-1]) if len(rows) > size else None
        return page

    def get_paginated_response(self, data):
        return Response({"next": self._next_link(), "results": data})

    def _keyset_of(self, row) -> list[str]:
        """The keyset values of a row: a model instance, or a dict from `values()`."""
        if isinstance(row, dict):
            return [str(row[name]) for name in self.keyset]
        return [str(getattr(row, name)) for name in self.keyset]

    def _next_link(self) -> str | None:
        if self.last is None:
            return None
        cursor = base64.urlsafe_b64encode(json.dumps(self.last).encode()).decode()
        return replace_query_param(self.request.build_absolute_uri(), self.cursor_query_param, cursor)

    def _decode(self, cursor: str | None):
        if not cursor:
            return None
        try:
            values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
            fields = [self.model._meta.get_field(name) for name in self.keyset]
            if not isinstance(values, list) or len(values) != len(fields):
                raise ValueError
            return tuple(field.to_python(value) for field, value in zip(fields, values, strict=True))
        except (ValueError, TypeError, UnicodeError, DjangoValidationError, binascii.Error):
            raise ValidationError({self.cursor_query_param: ["Not a cursor this list gave out."]}) from None

    def _page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdecimal() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError({self.page_size_query_param: [f"A number from 1 to {self.max_page_size}."]})
        return int(raw)

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where the page starts: the `cursor` of the previous page's `next`.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": "Number of results to return per page.",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
