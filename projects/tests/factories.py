import factory
from django.contrib.auth import get_user_model

from projects.models import Interview, Project, Prompt


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Project {n}")
    description = factory.Faker("sentence")
    git_repository_info = factory.LazyFunction(
        lambda: {"url": "https://example.com/repo.git", "default_branch": "main"}
    )


class ProjectScopedFactory(factory.django.DjangoModelFactory):
    """A row under a project: a new project of its own unless one is given."""

    class Meta:
        abstract = True

    project = factory.SubFactory(ProjectFactory)


class InterviewFactory(ProjectScopedFactory):
    class Meta:
        model = Interview

    conversation_data = factory.LazyFunction(list)


class PromptFactory(ProjectScopedFactory):
    class Meta:
        model = Prompt

    content = factory.Faker("paragraph")
    type = "system"
    components = factory.LazyFunction(list)
