"""Random sequences of actions by random actors never leave an illegal state.

Every refusal must change nothing; after every step the invariants below hold: states inside
their graphs, audit trails that chain and only use allowed edges, no retirement over blockers
without an override, the version's status matching the deprecation, one migration per consumer.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from catalog.models import ApiVersion, ConsumerMigration, Deprecation, Membership
from catalog.selectors.deprecations import deprecation_blockers
from catalog.services import deprecations as svc
from portal.api.exceptions import DomainError
from portal.notifications.models import ChangeEvent
from tests.catalog.factories import (
    ApiFactory,
    ApiVersionFactory,
    DependencyFactory,
    ServiceFactory,
    TeamFactory,
)

S = Deprecation.State
M = ConsumerMigration.State
COUNTER = itertools.count()

DEPRECATION_EDGES = {
    ("", S.DRAFT),
    (S.DRAFT, S.ANNOUNCED),
    (S.DRAFT, S.CANCELLED),
    (S.ANNOUNCED, S.ANNOUNCED),
    (S.ANNOUNCED, S.PENDING_APPROVAL),
    (S.ANNOUNCED, S.SUNSET_BLOCKED),
    (S.ANNOUNCED, S.RETIRED),
    (S.ANNOUNCED, S.CANCELLED),
    (S.SUNSET_BLOCKED, S.ANNOUNCED),
    (S.SUNSET_BLOCKED, S.SUNSET_BLOCKED),
    (S.SUNSET_BLOCKED, S.PENDING_APPROVAL),
    (S.SUNSET_BLOCKED, S.RETIRED),
    (S.SUNSET_BLOCKED, S.CANCELLED),
    (S.PENDING_APPROVAL, S.ANNOUNCED),
    (S.PENDING_APPROVAL, S.SUNSET_BLOCKED),
    (S.PENDING_APPROVAL, S.CANCELLED),
}
OPEN = {M.PENDING, M.NOTIFIED, M.ACKNOWLEDGED, M.MIGRATING, M.OBJECTED}
MIGRATION_EDGES = (
    {("", M.NOTIFIED), (M.PENDING, M.NOTIFIED)}
    | {(f, to) for verb, (froms, to) in svc.MIGRATION_GRAPH.items() for f in froms}
    | {(f, M.MIGRATED) for f in OPEN}  # auto-migration
)

ACTORS = ["owner", "staff", "consumer", "outsider"]


class DeprecationMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self):
        n = next(COUNTER)
        self.savepoint = transaction.savepoint()
        User = get_user_model()
        self.users = {
            "owner": User.objects.create_user(f"own{n}"),
            "staff": User.objects.create_user(f"stf{n}", is_staff=True),
            "consumer": User.objects.create_user(f"con{n}"),
            "outsider": User.objects.create_user(f"out{n}"),
        }
        provider_team = TeamFactory(slug=f"prov-{n}")
        consumer_team = TeamFactory(slug=f"cons-{n}")
        Membership.objects.create(team=provider_team, user=self.users["owner"], role="owner")
        Membership.objects.create(team=consumer_team, user=self.users["consumer"], role="member")
        provider = ServiceFactory(slug=f"p-{n}", owner=provider_team)
        api = ApiFactory(slug=f"api-{n}", provider=provider)
        self.v1 = ApiVersionFactory(api=api, major=1)
        self.v2 = ApiVersionFactory(api=api, major=2)
        self.consumers = [ServiceFactory(slug=f"c{i}-{n}", owner=consumer_team) for i in range(3)]
        self.deps = [DependencyFactory(consumer=c, api_version=self.v1) for c in self.consumers]
        self.today = timezone.localdate()
        self.deprecation = svc.deprecation_create(
            actor=self.users["owner"],
            api_version=self.v1,
            reason="because",
            replacement_version=self.v2,
            migration_guide_url="https://example.com/guide",
            sunset_date=self.today + dt.timedelta(days=190),
        )

    def teardown(self):
        if hasattr(self, "savepoint"):
            transaction.savepoint_rollback(self.savepoint)

    # --- helpers ---------------------------------------------------------------------------

    def _snapshot(self):
        d = Deprecation.objects.get(pk=self.deprecation.pk)
        return (
            d.state,
            d.sunset_date,
            d.proposed_sunset_date,
            d.override_reason,
            ApiVersion.objects.get(pk=self.v1.pk).status,
            tuple(
                ConsumerMigration.objects.filter(deprecation=d)
                .order_by("pk")
                .values_list("state", "reason")
            ),
            d.transitions.count(),
            ChangeEvent.objects.count(),
        )

    def _try(self, call):
        before = self._snapshot()
        try:
            call()
        except DomainError as exc:
            assert exc.status_code in (400, 403, 409, 422)
            assert exc.rule
            assert self._snapshot() == before, f"refusal {exc.rule} changed something"

    # --- rules -----------------------------------------------------------------------------

    @rule(actor=st.sampled_from(ACTORS))
    def announce(self, actor):
        self._try(
            lambda: svc.deprecation_announce(
                deprecation=self.deprecation, actor=self.users[actor], today=self.today
            )
        )

    @rule(actor=st.sampled_from(ACTORS), delta=st.sampled_from([-300, -100, -10, 10, 60]))
    def reschedule(self, actor, delta):
        d = Deprecation.objects.get(pk=self.deprecation.pk)
        self._try(
            lambda: svc.deprecation_reschedule(
                deprecation=d,
                actor=self.users[actor],
                sunset_date=d.sunset_date + dt.timedelta(days=delta),
                today=self.today,
            )
        )

    @rule(actor=st.sampled_from(ACTORS))
    def approve(self, actor):
        self._try(
            lambda: svc.deprecation_approve(
                deprecation=self.deprecation, actor=self.users[actor], today=self.today
            )
        )

    @rule(actor=st.sampled_from(ACTORS))
    def reject(self, actor):
        self._try(
            lambda: svc.deprecation_reject(deprecation=self.deprecation, actor=self.users[actor])
        )

    @rule(actor=st.sampled_from(ACTORS))
    def cancel(self, actor):
        self._try(
            lambda: svc.deprecation_cancel(deprecation=self.deprecation, actor=self.users[actor])
        )

    @rule(actor=st.sampled_from(ACTORS), override=st.booleans())
    def retire(self, actor, override):
        self._try(
            lambda: svc.deprecation_retire(
                deprecation=self.deprecation,
                actor=self.users[actor],
                override_reason="contract ended" if override else "",
                today=self.today,
            )
        )

    @rule(days=st.sampled_from([1, 7, 30, 90, 200]))
    def time_passes(self, days):
        self.today += dt.timedelta(days=days)
        svc.deprecations_daily(today=self.today)

    @rule(
        index=st.integers(0, 2),
        verb=st.sampled_from(["acknowledge", "start", "complete", "exempt", "object"]),
        actor=st.sampled_from(ACTORS),
    )
    def migration_action(self, index, verb, actor):
        m = ConsumerMigration.objects.filter(
            deprecation=self.deprecation, consumer=self.consumers[index]
        ).first()
        if m is None:
            return
        func = getattr(svc, f"migration_{verb}")
        kwargs = {"reason": "why not"} if verb in ("exempt", "object") else {}
        self._try(lambda: func(migration=m, actor=self.users[actor], **kwargs))

    @rule(index=st.integers(0, 2))
    def consumer_switches(self, index):
        dep = self.deps[index]
        dep.refresh_from_db()
        if dep.api_version_id == self.v2.pk:
            return
        from catalog.services.catalog import dependency_update

        dependency_update(dependency=dep, api_version=self.v2)

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def states_are_legal(self):
        if not hasattr(self, "deprecation"):
            return
        d = Deprecation.objects.get(pk=self.deprecation.pk)
        assert d.state in S.values
        assert (d.state == S.PENDING_APPROVAL) == (d.proposed_sunset_date is not None)
        if d.deprecation_date:
            assert d.deprecation_date <= d.sunset_date
        migrations = list(ConsumerMigration.objects.filter(deprecation=d))
        assert all(m.state in M.values for m in migrations)
        assert len({m.consumer_id for m in migrations}) == len(migrations)
        if d.state == S.DRAFT or (d.state == S.CANCELLED and d.announced_at is None):
            assert migrations == []
        else:
            # One per consumer still on v1 when announced (a consumer may have switched before).
            assert {m.consumer_id for m in migrations} <= {c.pk for c in self.consumers}
        status = ApiVersion.objects.get(pk=self.v1.pk).status
        if d.state in (S.ANNOUNCED, S.SUNSET_BLOCKED, S.PENDING_APPROVAL):
            assert status == "deprecated"
        elif d.state == S.RETIRED:
            assert status == "retired"
            assert d.retired_at is not None
            blockers = deprecation_blockers(deprecation=d, consent_mode="all_consumers").exists()
            assert not blockers or d.override_reason, "retired with open blockers and no override"
        else:
            assert status == "active"
        if d.state == S.SUNSET_BLOCKED:
            assert self.today >= d.sunset_date or d.transitions.last().action != "sunset_blocked"

    @invariant()
    def audit_trails_chain_along_allowed_edges(self):
        if not hasattr(self, "deprecation"):
            return
        d = Deprecation.objects.get(pk=self.deprecation.pk)
        previous = ""
        for t in d.transitions.order_by("at", "id"):
            if t.action == "edited":
                continue
            assert t.from_state == previous, (t.action, t.from_state, previous)
            assert (t.from_state, t.to_state) in DEPRECATION_EDGES, (
                t.action,
                t.from_state,
                t.to_state,
            )
            previous = t.to_state
        assert previous == d.state
        for m in ConsumerMigration.objects.filter(deprecation=d):
            previous = ""
            for t in m.transitions.order_by("at", "id"):
                assert t.from_state == previous
                assert (t.from_state, t.to_state) in MIGRATION_EDGES, (
                    t.action,
                    t.from_state,
                    t.to_state,
                )
                previous = t.to_state
            assert previous == m.state
            assert (m.state in (M.EXEMPTED, M.OBJECTED)) <= bool(m.reason)


@pytest.mark.django_db
def test_random_action_sequences_keep_the_workflow_legal():
    run_state_machine_as_test(
        DeprecationMachine,
        settings=settings(
            max_examples=int(__import__("os").environ.get("HYP_EXAMPLES", "35")),
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
