"""A query view and a command view combined on one path: GET lists, POST commands."""

from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from tests.projections.conftest import catch_up


def test_a_command_then_a_query_on_the_same_path(staff):
    created = staff.api.post(
        "/api/customers/",
        {"name": "Dora", "email": "dora@example.com", "phone": "+3212"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert "X-Projection-Position" not in created
    catch_up()

    listed = staff.get("/api/customers", min_position=created.json()["position"])
    assert [c["name"] for c in listed.json()["results"]] == ["Dora"]
    assert int(listed["X-Projection-Position"]) >= created.json()["position"]


def test_a_customer_may_order_but_not_list_the_directory(staff, login_for, db):
    staff_posted = staff.api.post(
        "/api/customers/",
        {"name": "Eve", "email": "eve@example.com", "phone": "+3212"},
        format="json",
    )
    eve = login_for(staff_posted.json()["id"])
    assert eve.get("/api/customers/").status_code == 403
    assert eve.get("/api/orders/").status_code == 200


def test_the_combined_views_document_both_methods_without_warnings(db):
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(public=True)
    for path in ("/api/orders/", "/api/customers/", "/api/products/"):
        assert {"get", "post"} <= set(schema["paths"][path])
    assert not GENERATOR_STATS
