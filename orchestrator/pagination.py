from rest_framework import pagination
from rest_framework.exceptions import ValidationError

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
