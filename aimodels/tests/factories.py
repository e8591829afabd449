import factory

from aimodels.models import AIModel, SystemSettings


class AIModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AIModel

    name = factory.Sequence(lambda n: f"model-{n}")
    provider = AIModel.Provider.OPENAI
    model = "gpt-4o-mini"
    api_key = factory.Sequence(lambda n: f"sk-test-secret-{n:08d}-key")
    usage_type = AIModel.UsageType.GENERAL
    is_active = True
    config = factory.LazyFunction(dict)


class SystemSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SystemSettings

    key = factory.Sequence(lambda n: f"custom.setting_{n}")
    value = factory.LazyFunction(lambda: {"enabled": True})
    description = factory.Faker("sentence")
