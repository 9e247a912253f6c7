"""Verified rebuilds: compared row by row with the live generation before they go live;
held for a decision when a change to a projection's code changes its rows."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django_q.conf import Conf
from django_q.models import Success

from eventstore import store
from projections.engine import rebuilding, runner
from projections.engine.freshness import read_view
from projections.engine.projection import get
from projections.engine.runner import Outcome
from projections.models import CustomerStatistics, ProjectionState, RebuildDecision
from projections.readmodels.customer_statistics import CustomerStatisticsProjection
from tests.projections.conftest import catch_up
from tests.projections.test_rebuild import busy_history, snapshot

pytestmark = pytest.mark.django_db

NAME = "customer_statistics"


def live_rows() -> list[dict]:
    return snapshot()[f"{NAME}.CustomerStatistics"]


@pytest.fixture
def history(shop):
    busy_history(shop, orders=6)
    catch_up()
    return shop


@pytest.fixture
def changed_code(monkeypatch):
    """A change to the projection's code: shipped orders are no longer counted."""

    def order_shipped(self, rows, e, r):
        self._order_news(rows, e.order_id, r)

    monkeypatch.setattr(CustomerStatisticsProjection, "order_shipped", order_shipped)


def rebuild_until_it_stops() -> Outcome:
    while True:
        outcome = runner.run_batch(get(NAME)).outcome
        if outcome not in (Outcome.APPLIED,):
            return outcome


def test_a_verified_rebuild_without_differences_goes_live(history):
    before = live_rows()
    rebuilding.start(NAME, verify=True)
    assert rebuild_until_it_stops() is Outcome.SWITCHED
    state = ProjectionState.objects.get(name=NAME)
    assert (state.generation, state.rebuild_generation, state.rebuild_held_at) == (2, None, None)
    assert live_rows() == before


def test_a_changed_projection_is_held_with_its_differences_and_users_see_the_live_rows(
    history, changed_code, staff
):
    before = live_rows()
    shipped = sum(row["orders_shipped"] for row in before)
    assert shipped > 0
    rebuilding.start(NAME, verify=True)
    assert rebuild_until_it_stops() is Outcome.HELD

    state = ProjectionState.objects.get(name=NAME)
    assert state.generation == 1 and state.rebuild_held_at is not None
    (table,) = state.rebuild_differences["tables"][:1]
    assert table["table"] == "projections.CustomerStatistics"
    assert (table["added"], table["removed"]) == (0, 0)
    customers_who_got_orders_shipped = sum(1 for row in before if row["orders_shipped"])
    assert table["changed"] == customers_who_got_orders_shipped
    sample = table["samples"]["changed"][0]
    assert set(sample["columns"]) == {"orders_shipped"}
    old, new = sample["columns"]["orders_shipped"]
    assert old > 0 and new == 0
    assert live_rows() == before  # nothing switched
    assert runner.run_batch(get(NAME)).outcome is Outcome.IDLE  # held, caught up: asleep


def test_a_held_rebuild_keeps_catching_up_then_switches_on_a_decision(history, changed_code):
    rebuilding.start(NAME, verify=True)
    rebuild_until_it_stops()
    customer = history.customer("Dee")
    mug = history.product("D", "4.40")
    history.receive(mug, 10)
    history.order(customer, (mug, 1))
    # Held and at the head again: asleep (IDLE), whoever ran the last batches.
    assert rebuild_until_it_stops() in (Outcome.HELD, Outcome.IDLE)
    state = ProjectionState.objects.get(name=NAME)
    assert state.rebuild_checkpoint == state.checkpoint == store.head()  # both at the head
    assert CustomerStatistics.objects.filter(generation=2, customer_id=customer).exists()

    decision = rebuilding.decide(NAME, 2, RebuildDecision.SWITCH, "ada")
    assert (decision.decided_by, decision.decision, decision.generation) == ("ada", "switch", 2)
    assert decision.differences["tables"][0]["changed"] > 0  # compared again at the decision
    assert read_view(NAME).generation == 2
    assert sum(row["orders_shipped"] for row in live_rows()) == 0
    assert CustomerStatistics.objects.filter(generation=2, customer_id=customer).exists()


def test_discarding_a_held_rebuild_deletes_its_rows_and_keeps_the_live_ones(history, changed_code):
    before = live_rows()
    rebuilding.start(NAME, verify=True)
    rebuild_until_it_stops()
    rebuilding.decide(NAME, 2, RebuildDecision.DISCARD, "ada")
    state = ProjectionState.objects.get(name=NAME)
    assert (state.generation, state.rebuild_generation, state.rebuild_held_at) == (1, None, None)
    assert not CustomerStatistics.objects.filter(generation=2).exists()
    assert live_rows() == before
    with pytest.raises(rebuilding.NotHeld):
        rebuilding.decide(NAME, 2, RebuildDecision.SWITCH, "ada")


def test_the_command_prints_the_differences_and_exits_2(history, changed_code, capsys):
    with pytest.raises(CommandError) as held:
        call_command("rebuild_projections", NAME, "--verify")
    assert held.value.returncode == 2
    out = capsys.readouterr().out
    assert f"{NAME}: generation 2 differs from the live one" in out
    assert "projections.CustomerStatistics: 0 added, 0 removed" in out
    assert "orders_shipped" in out


def test_the_command_goes_live_when_nothing_differs(history, capsys):
    call_command("rebuild_projections", NAME, "--verify")
    assert f"{NAME}: generation 2 is live" in capsys.readouterr().out


# The admin


@pytest.fixture
def rebuilder(client, django_user_model):
    user = django_user_model.objects.create_user("rebuilder", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_projectionstate", "rebuild_projection"])
    )
    client.force_login(user)
    return client


REVIEW = f"/admin/projections/projectionstate/{NAME}/rebuild/review/"
DECIDE = f"/admin/projections/projectionstate/{NAME}/rebuild/decide/"


def test_staff_review_a_held_rebuild_and_switch_to_it(
    history, changed_code, rebuilder, monkeypatch, django_capture_on_commit_callbacks
):
    assert rebuilder.get(REVIEW).status_code == 404  # nothing held
    monkeypatch.setattr(Conf, "SYNC", True)  # django-q2 runs the task in-process
    with django_capture_on_commit_callbacks(execute=True):
        rebuilder.post(f"/admin/projections/projectionstate/{NAME}/rebuild/", {"verify": "on"})
    assert Success.objects.get(func="projections.engine.tasks.rebuild").args == (NAME, True)
    health = rebuilder.get("/admin/projections/projectionstate/").content.decode()
    assert f'id="held-{NAME}"' in health
    page = rebuilder.get(REVIEW).content.decode()
    assert 'class="review-changed">' in page and "orders_shipped" in page
    response = rebuilder.post(DECIDE, {"generation": "2", "decision": "switch"})
    assert response.status_code == 302
    assert read_view(NAME).generation == 2
    assert RebuildDecision.objects.get().decided_by == "rebuilder"


def test_deciding_needs_the_rebuild_permission(history, changed_code, client, django_user_model):
    rebuilding.start(NAME, verify=True)
    rebuild_until_it_stops()
    viewer = django_user_model.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_projectionstate"))
    client.force_login(viewer)
    page = client.get(REVIEW).content.decode()
    assert "Switch to generation" not in page
    assert client.post(DECIDE, {"generation": "2", "decision": "switch"}).status_code == 403
    assert ProjectionState.objects.get(name=NAME).rebuild_held_at is not None


@pytest.mark.parametrize(
    "form", [{"generation": "x", "decision": "switch"}, {"generation": "2", "decision": "merge"}]
)
def test_a_malformed_decision_is_a_400(history, changed_code, rebuilder, form):
    rebuilding.start(NAME, verify=True)
    rebuild_until_it_stops()
    assert rebuilder.post(DECIDE, form).status_code == 400
    assert ProjectionState.objects.get(name=NAME).rebuild_held_at is not None
