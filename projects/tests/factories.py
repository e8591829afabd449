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


class InterviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interview

    project = factory.SubFactory(ProjectFactory)
    conversation_data = factory.LazyFunction(list)


class PromptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Prompt

    project = factory.SubFactory(ProjectFactory)
    content = factory.Faker("paragraph")
    type = "system"
    components = factory.LazyFunction(list)
