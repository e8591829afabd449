"""The OpenAPI contract as a generated client reads it. (That every response the suite
produces matches it is checked by the API test client in conftest.py.)"""

import re

import pytest
from drf_spectacular.validation import validate_schema

from conftest import api_schema


@pytest.fixture(scope="module")
def schema():
    validate_schema(api_schema())
    return api_schema()


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_request_bodies_are_json_only(schema):
    for path, method, operation in operations(schema):
        if "requestBody" in operation:
            assert list(operation["requestBody"]["content"]) == ["application/json"], (method, path)


def test_operations_are_tagged_by_resource_with_readable_ids(schema):
    ids = []
    for path, method, operation in operations(schema):
        resource = path.removeprefix("/api/v1/").split("/")[0]
        assert operation["tags"] == [resource], (method, path)
        assert re.fullmatch(r"[a-z_]+", operation["operationId"]), operation["operationId"]
        assert operation["operationId"].startswith(resource.replace("-", "_")), operation["operationId"]
        ids.append(operation["operationId"])
    assert len(ids) == len(set(ids))
    assert {"tasks_move", "projects_board", "prompts_render", "auth_token", "tasks_list"} <= set(ids)


def test_only_the_token_endpoint_is_open(schema):
    open_operations = [(m, p) for p, m, operation in operations(schema) if operation["security"] == []]

    assert open_operations == [("post", "/api/v1/auth/token/")]


def test_an_ai_action_s_conflict_documents_the_budget_it_is_over(schema):
    conflict = schema["components"]["schemas"]["AIActionConflict"]
    actions = [  # every POST answering a job, but a webhook's redelivery (no model, no budget)
        operation
        for path, method, operation in operations(schema)
        if "202" in operation["responses"] and method == "post" and "webhooks" not in path
    ]

    assert {"detail", "monthly_budget", "month_spend"} <= set(conflict["properties"])
    assert conflict["required"] == ["detail"]
    assert len(actions) == 9
    for operation in actions:
        assert operation["responses"]["409"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/AIActionConflict"
        }, operation["operationId"]
