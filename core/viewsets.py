"""Access scoping, written once: every project-scoped endpoint narrows through
`Project.objects.for_user`, so another user's object is simply not found (404)."""

from collections.abc import Mapping

from rest_framework import serializers, viewsets


class ProjectScopedViewSet(viewsets.ModelViewSet):
    """A model viewset over `queryset.for_user(request.user)`; subclasses only narrow further."""

    def get_queryset(self):
        return super().get_queryset().for_user(self.request.user)


class OwnedRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference to an object the requesting user may see; anything else 'does not exist'."""

    def get_queryset(self):
        return super().get_queryset().for_user(self.context["request"].user)


class ProjectScopedSerializer(serializers.ModelSerializer):
    """Refuses cross-project references, changes to the fields listed in `Meta.create_only`, and
    any input for the fields of `Meta.action_only` (field: the action that changes it)."""

    def to_internal_value(self, data):
        action_only = getattr(self.Meta, "action_only", {})
        given = data if isinstance(data, Mapping) else {}  # DRF itself refuses a body that is not an object
        refused = {name: [f"Read-only; {how}"] for name, how in action_only.items() if name in given}
        if refused:
            raise serializers.ValidationError(refused)
        return super().to_internal_value(data)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is not None:
            for name in getattr(self.Meta, "create_only", ()):
                if name in attrs and attrs[name] != getattr(self.instance, name):
                    raise serializers.ValidationError({name: "Cannot be changed after creation."})
        candidate = self.Meta.model(**self._relations_after_write(attrs))
        if hasattr(candidate, "cross_project_errors") and (errors := candidate.cross_project_errors()):
            raise serializers.ValidationError(errors)
        return attrs

    def _relations_after_write(self, attrs) -> dict:
        """The foreign keys the object will have once `attrs` are written."""
        relations = {}
        for field in self.Meta.model._meta.concrete_fields:
            if not field.is_relation:
                continue
            if field.name in attrs:
                relations[field.name] = attrs[field.name]
            elif self.instance is not None:
                relations[field.attname] = getattr(self.instance, field.attname)
        return relations
