import copy

import django_filters


class CopiedOnce(dict):
    """Declared filters, or the form fields built from them, that an instance copies one level
    deep rather than deep-copying the whole tree on every request. Nothing here changes a
    filter's or a field's state after it is built (a filter instance only learns its model
    and its filter set, on its own copy), so the copies need not reach further."""

    def __deepcopy__(self, memo):
        return {name: self.copy_item(item) for name, item in self.items()}

    copy_item = staticmethod(copy.copy)


class CopiedFilters(CopiedOnce):
    @staticmethod
    def copy_item(filter_):
        copied = copy.copy(filter_)
        if filter_.method is not None:
            copied.method = filter_.method  # bound to the copy (and so to its filter set)
        return copied


class FilterSet(django_filters.FilterSet):
    """django-filter's FilterSet with its form class built once, not on every request, and
    its filters and form fields copied one level deep per request (see CopiedOnce). The form's
    fields come from the declared filters alone: a filter whose field depends on the request,
    such as a ModelChoiceFilter with a callable queryset, needs the plain FilterSet."""

    @classmethod
    def get_filters(cls):
        return CopiedFilters(super().get_filters())

    def get_form_class(self):
        cls = type(self)
        if "_form_class" not in cls.__dict__:
            form_class = super().get_form_class()
            form_class.base_fields = CopiedOnce(form_class.base_fields)
            cls._form_class = form_class
        return cls._form_class
