from django.contrib import admin

from projects.models import Interview, Project, Prompt


class InterviewInline(admin.TabularInline):
    model = Interview
    fields = ["status", "ai_model_used", "created_at"]
    readonly_fields = ["created_at"]
    extra = 0
    show_change_link = True


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "created_at", "updated_at"]
    list_filter = ["created_at"]
    search_fields = ["name", "description", "owner__username"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    readonly_fields = ["id", "created_at", "updated_at"]
    inlines = [InterviewInline]


@admin.register(Interview)
class InterviewAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "status", "ai_model_used", "created_at"]
    list_filter = ["status", "ai_model_used"]
    search_fields = ["project__name", "ai_model_used"]
    list_select_related = ["project"]
    raw_id_fields = ["project"]
    readonly_fields = ["id", "created_at", "updated_at"]


@admin.register(Prompt)
class PromptAdmin(admin.ModelAdmin):
    list_display = ["__str__", "project", "type", "version", "is_reusable", "created_at"]
    list_filter = ["type", "is_reusable"]
    search_fields = ["content", "type", "project__name"]
    list_select_related = ["project"]
    raw_id_fields = ["project", "parent", "created_from_interview"]
    readonly_fields = ["id", "lineage", "created_at", "updated_at"]
