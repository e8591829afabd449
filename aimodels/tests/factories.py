import factory

from aimodels.models import AIModel, SystemSettings

# Every API key a factory stored: the API test client checks no response shows one.
ISSUED_API_KEYS: set[str] = set()


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

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if kwargs.get("api_key"):
            ISSUED_API_KEYS.add(kwargs["api_key"])
        return super()._create(model_class, *args, **kwargs)


class SystemSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SystemSettings

    key = factory.Sequence(lambda n: f"custom.setting_{n}")
    value = factory.LazyFunction(lambda: {"enabled": True})
    description = factory.Faker("sentence")
