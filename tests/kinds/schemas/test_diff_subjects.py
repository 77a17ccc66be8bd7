"""The subject diff on plain data: specs and a registry snapshot in, typed changes out."""

from __future__ import annotations

import json

from mqctl.config import Environment
from mqctl.diagnostics import Severity
from mqctl.kind import DesiredState, Snapshots
from mqctl.kinds import KINDS, apply_order
from mqctl.kinds.schemas.changes import SubjectCompatibility, SubjectDelete, SubjectRegister
from mqctl.kinds.schemas.diff import diff_subjects
from mqctl.kinds.schemas.live import LiveSubject, RegistryState
from mqctl.kinds.schemas.model import SubjectReference, SubjectSpec
from mqctl.kinds.schemas.spec import canonical
from mqctl.plan import Action, Plan
from mqctl.spec.model import Source
from mqctl.workflows.plan import compute_plan

PREFIX = "prod."
V1 = json.dumps({"type": "record", "name": "O", "fields": [{"name": "id", "type": "string"}]})
V2 = json.dumps(
    {
        "type": "record",
        "name": "O",
        "fields": [{"name": "id", "type": "string"}, {"name": "n", "type": ["null", "string"], "default": None}],
    }
)


def spec(
    name: str = "order.v1-value",
    schema: str = V1,
    compatibility: str | None = "BACKWARD",
    references: tuple[SubjectReference, ...] = (),
    depth: int = 0,
    schema_type: str = "AVRO",
) -> SubjectSpec:
    return SubjectSpec(
        name=name,
        full_name=PREFIX + name,
        schema_type=schema_type,
        file="schemas/o.avsc",
        schema=schema,
        canonical=canonical(schema_type, schema),
        source=Source("schemas/a.yaml", 3),
        compatibility=compatibility,
        references=references,
        depth=depth,
    )


def live(
    name: str = "order.v1-value",
    schema: str = V1,
    version: int = 1,
    compatibility: str | None = "BACKWARD",
    references: tuple[SubjectReference, ...] = (),
) -> LiveSubject:
    return LiveSubject(PREFIX + name, version, "AVRO", schema, references, compatibility)


def state(*subjects: LiveSubject) -> RegistryState:
    return RegistryState({s.name: s for s in subjects})


def test_new_subject_sets_level_then_registers() -> None:
    changes, problems = diff_subjects([spec()], state())
    assert problems == []
    level, register = sorted(changes, key=apply_order)
    assert isinstance(level, SubjectCompatibility) and level.level == "BACKWARD"
    assert isinstance(register, SubjectRegister)
    assert (register.name, register.schema, register.latest_version) == ("prod.order.v1-value", V1, None)
    assert register.action is Action.CREATE
    assert [d.field for d in register.diffs] == ["version", "type", "schema"]


def test_formatting_only_change_is_no_change() -> None:
    reformatted = json.dumps(json.loads(V1), indent=4, sort_keys=True)
    assert diff_subjects([spec(schema=reformatted)], state(live())) == ([], [])


def test_new_schema_is_a_new_version_to_check() -> None:
    changes, problems = diff_subjects([spec(schema=V2)], state(live(version=3)))
    assert problems == []
    (register,) = changes
    assert isinstance(register, SubjectRegister)
    assert (register.latest_version, register.check) == (3, True)
    assert register.diffs[0].before == 3 and register.diffs[0].after == "new, after v3"


def test_level_change_alone() -> None:
    changes, _ = diff_subjects([spec(compatibility="FULL_TRANSITIVE")], state(live()))
    (change,) = changes
    assert isinstance(change, SubjectCompatibility)
    assert (change.diffs[0].before, change.diffs[0].after) == ("BACKWARD", "FULL_TRANSITIVE")


def test_level_left_alone_when_spec_has_none() -> None:
    assert diff_subjects([spec(compatibility=None)], state(live(compatibility="NONE"))) == ([], [])


def test_level_and_version_together_warn_that_plan_checks_under_the_old_level() -> None:
    changes, problems = diff_subjects([spec(schema=V2, compatibility="NONE")], state(live()))
    assert {type(c) for c in changes} == {SubjectCompatibility, SubjectRegister}
    (problem,) = problems
    assert problem.severity is Severity.WARNING and "current level BACKWARD" in problem.message


def test_unmanaged_subjects_are_soft_deleted_referrers_first() -> None:
    ref = SubjectReference("x.Base", PREFIX + "base", 1)
    changes, _ = diff_subjects([], state(live("base"), live("user-value", references=(ref,))))
    ordered = [c.name for c in sorted(changes, key=apply_order)]
    assert ordered == ["prod.user-value", "prod.base"]
    assert all(isinstance(c, SubjectDelete) and c.destructive for c in changes)


def test_references_register_in_dependency_order_and_follow_new_versions() -> None:
    base = spec("base", schema=V2, depth=0)
    user = spec("user-value", references=(SubjectReference("O", PREFIX + "base"),), depth=1)
    live_ref = SubjectReference("O", PREFIX + "base", 1)
    changes, problems = diff_subjects([user, base], state(live("base"), live("user-value", references=(live_ref,))))
    registers = [c for c in sorted(changes, key=apply_order) if isinstance(c, SubjectRegister)]
    assert [c.name for c in registers] == ["prod.base", "prod.user-value"]
    # base gets a new version, so user's reference stays open (apply fills in the version) ...
    assert registers[1].references == (SubjectReference("O", PREFIX + "base", None),)
    # ... and the plan cannot pre-check user against a base that does not exist yet: it says so
    assert registers[1].check is False
    assert any("registers first" in p.message for p in problems)


def test_unchanged_reference_pins_the_live_version_so_nothing_changes() -> None:
    user = spec("user-value", references=(SubjectReference("O", PREFIX + "base"),), depth=1)
    live_ref = SubjectReference("O", PREFIX + "base", 2)
    live_state = state(live("base", version=2), live("user-value", references=(live_ref,)))
    assert diff_subjects([spec("base"), user], live_state) == ([], [])


def test_plan_orders_subject_changes_after_topic_changes_and_keeps_json_stable() -> None:
    kinds = [k for k in KINDS if k.name == "schemas"]
    desired = DesiredState("prod", frozenset({"schemas"}), {"schemas": (spec(),)})
    plan = compute_plan(desired, Snapshots({"schemas": state()}), Environment("prod", "127.0.0.1:1"), kinds)
    assert isinstance(plan, Plan)
    assert [c["resource_type"] for c in plan.to_dict()["changes"]] == ["compatibility", "subject"]
