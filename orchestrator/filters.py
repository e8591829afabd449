import django_filters


class FilterSet(django_filters.FilterSet):
    """django-filter's FilterSet with its form class built once, not on every request: the
    form's fields come from the declared filters alone (a filter whose field depends on the
    request, such as a ModelChoiceFilter with a callable queryset, needs the plain FilterSet)."""

    def get_form_class(self):
        cls = type(self)
        if "_form_class" not in cls.__dict__:
            cls._form_class = super().get_form_class()
        return cls._form_class
