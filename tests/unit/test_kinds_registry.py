"""The kinds registry: every table is derived from it, and apply runs changes in its order."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mqctl.config import Environment
from mqctl.kind import Kind
from mqctl.kinds import BY_NAME, KINDS, apply_order
from mqctl.kinds.acls.changes import AclCreate, AclDelete
from mqctl.kinds.acls.model import AclBinding
from mqctl.kinds.brokers.changes import BrokerConfigUpdate
from mqctl.kinds.connectors.changes import ConnectorCreate, ConnectorDelete
from mqctl.kinds.topics.changes import TopicCreate, TopicDelete
from mqctl.kinds.users.changes import UserCreate, UserDelete
from mqctl.plan import Plan
from mqctl.spec.model import SpecContext


def acl() -> AclBinding:
    return AclBinding("User:alice", "topic", "prod.orders.v1", "literal", "WRITE")


def test_acl_changes_run_after_topic_and_user_creates_and_before_deletes() -> None:
    b = acl()
    plan = Plan.build("prod", [
        TopicDelete("prod.t"), AclDelete(str(b), binding=b), AclCreate(str(b), binding=b), TopicCreate("prod.t"),
        UserCreate("svc"), UserDelete("old"),
    ], order=apply_order)
    assert [type(c).__name__ for c in plan.changes] == [
        "TopicCreate", "UserCreate", "AclCreate", "AclDelete", "UserDelete", "TopicDelete"
    ]


def test_broker_config_runs_first_and_connectors_last_with_their_deletes_first() -> None:
    """docs/brokers.md: broker config changes run first (new topics see new defaults); docs/connect.md:
    connector creates and updates run after every other kind's, connector deletes before any other."""
    plan = Plan.build("prod", [
        ConnectorDelete("prod.old"), TopicDelete("prod.t"), ConnectorCreate("prod.sink"), TopicCreate("prod.n"),
        BrokerConfigUpdate("cluster-default", broker=None, set_config={"log.cleaner.threads": "2"}),
    ], order=apply_order)
    assert [type(c).__name__ for c in plan.changes] == [
        "BrokerConfigUpdate", "TopicCreate", "ConnectorCreate", "ConnectorDelete", "TopicDelete"
    ]




def test_every_change_type_belongs_to_exactly_one_kind_and_names_it() -> None:
    owners = [(change, kind.name) for kind in KINDS for change in kind.changes]
    assert len({change for change, _ in owners}) == len(owners)
    assert all(change.kind == name for change, name in owners)


def test_kind_names_are_unique_and_looked_up_by_name() -> None:
    assert list(BY_NAME) == [kind.name for kind in KINDS]
    assert all(BY_NAME[kind.name] is kind for kind in KINDS)


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_no_documents_declare_nothing_so_the_loader_skips_the_kind(kind: Kind[object, object], tmp_path: Path) -> None:
    """The loader does not call `build` for a kind without spec documents (its spec module, e.g.
    the schema parsers, never loads): that must be what `build` would have said."""
    ctx = SpecContext(tmp_path, Environment("dev", "127.0.0.1:1"), re.compile(".*"))
    assert kind.build([], ctx) == ([], [])


def test_only_kinds_whose_folder_exists_are_managed_and_an_empty_folder_counts(tmp_path: Path) -> None:
    """README "Kinds": a project without `acls/` never reads or touches ACLs (plan snapshots only
    `managed(spec_folders(root))`); an empty `topics/` folder still means "topics, none of them"."""
    from mqctl.kinds import managed
    from mqctl.spec.loader import spec_folders

    (tmp_path / "topics").mkdir()
    (tmp_path / "users").mkdir()
    (tmp_path / "users" / "u.yaml").write_text("users: []\n")
    (tmp_path / "acls.yaml").write_text("acls: []\n")  # a file, not the folder
    assert spec_folders(tmp_path) == {"topics", "users"}
    assert [kind.name for kind in managed(spec_folders(tmp_path))] == ["topics", "users"]
