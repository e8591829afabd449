import pytest

from projects.composition import MAX_DEPTH
from projects.models import Prompt
from projects.tests.factories import PromptFactory


def reusable(project, content, components=()):
    return PromptFactory(project=project, content=content, is_reusable=True, components=list(components))


def render(client, prompt, variables=None):
    return client.post(f"/api/v1/prompts/{prompt.pk}/render/", {"variables": variables or {}})


@pytest.mark.django_db
class TestRender:
    def test_components_in_order_then_content_with_variables(self, owner_client, project):
        tone = reusable(project, "Answer in a {{tone}} tone.")
        persona = reusable(project, "You are {{name}}.", [{"prompt": str(tone.pk)}])
        prompt = PromptFactory(
            project=project,
            content="Task: {{ task }}",
            components=[{"prompt": str(persona.pk)}, {"text": "Project: {{project}}"}],
        )

        response = render(
            owner_client, prompt, {"tone": "calm", "name": "Ada", "task": "ship", "project": "Shop"}
        )

        assert response.status_code == 200
        assert response.json() == {
            "content": "Answer in a calm tone.\n\nYou are Ada.\n\nProject: Shop\n\nTask: ship"
        }

    def test_missing_variables_are_listed(self, owner_client, project):
        prompt = PromptFactory(project=project, content="{{b}} {{a}} {{b}} {{c}}")

        response = render(owner_client, prompt, {"c": "x"})

        assert response.status_code == 400
        assert response.json() == {"variables": ["Missing values for: a, b."]}

    def test_a_cycle_is_a_400_when_written(self, owner_client, project):
        a = reusable(project, "A")
        b = reusable(project, "B", [{"prompt": str(a.pk)}])

        response = owner_client.patch(f"/api/v1/prompts/{a.pk}/", {"components": [{"prompt": str(b.pk)}]})

        assert response.status_code == 400
        assert response.json() == {"components": [f"Components form a cycle through prompt {a.pk}."]}
        assert Prompt.objects.get(pk=a.pk).components == []

    def test_a_cycle_stored_anyway_is_a_400_when_rendered(self, owner_client, project):
        a = reusable(project, "A")
        b = reusable(project, "B", [{"prompt": str(a.pk)}])
        Prompt.objects.filter(pk=a.pk).update(components=[{"prompt": str(b.pk)}])

        response = render(owner_client, a)

        assert response.status_code == 400
        assert "cycle" in response.json()["components"][0]

    def test_non_reusable_and_foreign_references_are_refused(self, owner_client, project):
        private = PromptFactory(project=project, is_reusable=False)
        foreign = PromptFactory(is_reusable=True)

        for target, message in ((private, "is not reusable"), (foreign, "does not exist in this project")):
            response = owner_client.post(
                "/api/v1/prompts/",
                {"project": str(project.pk), "components": [{"prompt": str(target.pk)}]},
            )
            assert response.status_code == 400
            assert message in response.json()["components"][0]
        assert Prompt.objects.filter(project=project).count() == 1

    def test_a_reference_made_non_reusable_later_is_refused_at_render(self, owner_client, project):
        part = reusable(project, "part")
        prompt = PromptFactory(project=project, components=[{"prompt": str(part.pk)}])
        Prompt.objects.filter(pk=part.pk).update(is_reusable=False)

        response = render(owner_client, prompt)

        assert response.status_code == 400
        assert response.json() == {"components": [f"Prompt {part.pk} is not reusable."]}

    def test_nesting_deeper_than_the_limit_is_refused(self, owner_client, project):
        chain = [reusable(project, "level 0")]
        for level in range(1, MAX_DEPTH + 1):
            chain.append(reusable(project, f"level {level}", [{"prompt": str(chain[-1].pk)}]))

        at_limit = render(owner_client, chain[-1])
        too_deep = owner_client.post(
            "/api/v1/prompts/", {"project": str(project.pk), "components": [{"prompt": str(chain[-1].pk)}]}
        )

        assert at_limit.status_code == 200
        assert at_limit.json()["content"].startswith("level 0\n\nlevel 1")
        assert too_deep.status_code == 400
        assert too_deep.json() == {"components": [f"Components nest deeper than {MAX_DEPTH} levels."]}

    def test_variables_must_be_an_object_of_strings(self, owner_client, project):
        prompt = PromptFactory(project=project)

        response = owner_client.post(f"/api/v1/prompts/{prompt.pk}/render/", {"variables": ["x"]})

        assert response.status_code == 400
        assert list(response.json()) == ["variables"]

    def test_another_users_prompt_is_not_found(self, outsider_client, project):
        assert render(outsider_client, PromptFactory(project=project)).status_code == 404


def fan_out(project, levels: int, width: int = 10):
    """A reusable prompt that refers `width` times to one that refers `width` times to ..."""
    prompt = reusable(project, "leaf")
    for _ in range(levels):
        prompt = reusable(project, "", [{"prompt": str(prompt.pk)}] * width)
    return prompt


@pytest.mark.django_db
class TestBoundedComposition:
    def test_components_expanding_past_the_reference_cap_are_refused_when_written(
        self, owner_client, project
    ):
        wide = fan_out(project, levels=1)  # 10 references
        count = Prompt.objects.count()

        response = owner_client.post(
            "/api/v1/prompts/",
            {"project": str(project.pk), "components": [{"prompt": str(wide.pk)}] * 10},  # 110 in all
        )

        assert response.status_code == 400
        assert response.json() == {"components": ["Components expand to more than 100 references."]}
        assert Prompt.objects.count() == count

    def test_an_exponential_prompt_is_refused_at_render_without_building_it(self, owner_client, project):
        # Written directly (as an old row could be): 10^6 leaves if it were expanded.
        bomb = PromptFactory(project=project, components=[{"prompt": str(fan_out(project, levels=5).pk)}])

        response = render(owner_client, bomb)

        assert response.status_code == 400
        assert response.json() == {"components": ["Components expand to more than 100 references."]}

    def test_content_past_the_size_cap_is_refused_naming_content(self, owner_client, project, settings):
        settings.PROMPT_MAX_RENDERED_CHARS = 1000

        response = owner_client.post("/api/v1/prompts/", {"project": str(project.pk), "content": "x" * 1001})

        assert response.status_code == 400
        assert response.json() == {"content": ["The rendered prompt would be longer than 1000 characters."]}

    def test_a_component_that_grew_is_caught_at_render(self, owner_client, project, settings):
        settings.PROMPT_MAX_RENDERED_CHARS = 1000
        part = reusable(project, "short")
        prompt = PromptFactory(project=project, content="tail", components=[{"prompt": str(part.pk)}] * 3)
        Prompt.objects.filter(pk=part.pk).update(content="y" * 400)

        response = render(owner_client, prompt)

        assert response.status_code == 400
        assert response.json() == {
            "components": ["The rendered prompt would be longer than 1000 characters."]
        }

    def test_variables_that_would_blow_past_the_cap_are_refused_naming_variables(self, owner_client, project):
        prompt = PromptFactory(project=project, content="{{x}}" * 1000)

        response = render(owner_client, prompt, {"x": "v" * 1000})  # a million characters

        assert response.status_code == 400
        assert response.json() == {
            "variables": ["The rendered prompt would be longer than 200000 characters."]
        }
