"""Saved plans, pure parts: fingerprints are stable and sensitive, differences are named, no secrets."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pytest

from mqctl.config import Environment, Policy, Secret, SecurityConfig
from mqctl.diagnostics import MqctlError
from mqctl.kinds.topics.changes import TopicCreate, TopicDelete
from mqctl.kinds.topics.live import LiveTopic, LiveTopics
from mqctl.kinds.users.changes import UserCreate
from mqctl.live import LiveConfig
from mqctl.plan import FieldDiff, Plan
from mqctl.saved_plan import (
    Fingerprints,
    SavedPlan,
    digest,
    fingerprints,
    leaked_secret,
    live_resources,
    read_saved_plan,
    read_spec_sources,
    saved_plan_dict,
    what_changed,
)

PASSWORD = "s3cret-admin-password"
ENV = Environment(
    "dev",
    "127.0.0.1:19092",
    security=SecurityConfig("SASL_PLAINTEXT", "SCRAM-SHA-512", "admin", Secret(PASSWORD)),
)


def topic(name: str, retention: str = "604800000", partitions: int = 3) -> LiveTopic:
    return LiveTopic(
        name,
        partitions,
        tuple((1, 2, 3) for _ in range(partitions)),
        {
            "retention.ms": LiveConfig(retention, "DYNAMIC_TOPIC_CONFIG"),
            "segment.bytes": LiveConfig("1073741824", "DEFAULT_CONFIG"),
        },
    )


def state(*topics: LiveTopic, others: frozenset[str] = frozenset()) -> LiveTopics:
    return LiveTopics((1, 2, 3), {t.name: t for t in topics}, others | {t.name for t in topics})


PLAN = Plan.build(
    "dev",
    [
        TopicCreate("dev.order.created.v1", (FieldDiff("partitions", None, 3),), partitions=3),
        TopicDelete("dev.old.thing.v1", risks=("deletes topic dev.old.thing.v1 and all its data",)),
    ],
)
FILES = {"topics/order.yaml": b"topics: []\n", "topics/payment.yaml": b"topics: []\n"}


def prints(
    live: LiveTopics, files: dict[str, bytes] = FILES, env: Environment = ENV, plan: Plan = PLAN
) -> Fingerprints:
    return fingerprints(plan, {"topics": live}, files, ["topics"], env, "^.*$")


def saved(live: LiveTopics) -> SavedPlan:
    return read_saved_plan(json.dumps(saved_plan_dict(PLAN, prints(live))), "plan.json")


def test_digest_is_stable_across_order_of_mappings_and_sets() -> None:
    a = state(topic("dev.a.x.v1"), topic("dev.b.x.v1"), others=frozenset({"z", "y"}))
    b = LiveTopics((1, 2, 3), dict(reversed(list(a.topics.items()))), frozenset(["y", "z", *a.topics]))
    assert digest(a) == digest(b)
    assert prints(a) == prints(b)


def test_live_fingerprint_is_per_resource_and_ignores_other_environments_topics() -> None:
    live = state(topic("dev.a.x.v1"))
    resources = live_resources("topics", live)
    assert set(resources) == {"topics.brokers", "topics[dev.a.x.v1]"}  # racks: empty mapping
    assert prints(live) == prints(state(topic("dev.a.x.v1"), others=frozenset({"prod.a.x.v1"})))


def test_saved_plan_round_trips_and_matches_an_unchanged_world() -> None:
    live = state(topic("dev.a.x.v1"))
    loaded = saved(live)
    assert loaded.environment == "dev"
    assert what_changed(loaded, prints(live)) == []


def test_out_of_band_topic_change_is_named() -> None:
    loaded = saved(state(topic("dev.a.x.v1"), topic("dev.b.x.v1")))
    now = prints(state(topic("dev.a.x.v1", retention="1000"), topic("dev.c.x.v1")))
    assert what_changed(loaded, now) == [
        "topics[dev.a.x.v1] changed on the cluster",
        "topics[dev.c.x.v1] appeared on the cluster",
        "topics[dev.b.x.v1] disappeared from the cluster",
    ]


def test_spec_edits_and_config_changes_are_named() -> None:
    live = state()
    loaded = saved(live)
    files = {**FILES, "topics/order.yaml": b"topics: [x]\n", "topics/new.yaml": b""}
    del files["topics/payment.yaml"]
    env = replace(ENV, policy=Policy(max_deletes=99))
    assert what_changed(loaded, prints(live, files, env)) == [
        "spec file topics/order.yaml was edited",
        "spec file topics/new.yaml was added",
        "spec file topics/payment.yaml was removed",
        "the settings of environment dev in mqctl.yaml changed",
    ]
    now = fingerprints(PLAN, {"topics": live}, FILES, ["topics", "acls"], ENV, "^.*$")
    assert what_changed(loaded, now) == ["spec folder acls/ was added"]


def test_a_different_plan_from_the_same_inputs_is_refused() -> None:
    live = state()
    other = Plan.build("dev", [TopicCreate("dev.order.created.v1", partitions=6)])
    assert what_changed(saved(live), prints(live, plan=other)) == [
        "the plan made now differs from the saved one although specs and cluster are unchanged "
        "(was it saved by another version of mqctl?)"
    ]


def test_a_hand_edited_plan_file_is_refused() -> None:
    live = state()
    data = saved_plan_dict(PLAN, prints(live))
    data["changes"][0]["name"] = "dev.something.else.v1"
    with pytest.raises(MqctlError, match=r"plan\.json: the plan file was edited after it was saved"):
        read_saved_plan(json.dumps(data), "plan.json")


def test_saved_plan_holds_no_secret_and_its_fingerprints_do_not_depend_on_it() -> None:
    live = state(topic("dev.a.x.v1"))
    text = json.dumps(saved_plan_dict(PLAN, prints(live)))
    assert PASSWORD not in text
    assert not leaked_secret(text, ENV, PLAN)
    rotated = replace(ENV, security=replace(ENV.security, password=Secret("another-password")))
    assert prints(live, env=rotated) == prints(live)  # the secret is not hashed in either
    assert leaked_secret(text + PASSWORD, ENV)


@pytest.mark.parametrize(
    "text, message",
    [
        ("not json", "plan.json: not a saved mqctl plan"),
        ('{"format_version": 1, "environment": "dev", "changes": []}', "not a saved mqctl plan"),
        ('{"format_version": 7}', "plan format_version 7 is not supported"),
    ],
)
def test_unreadable_plan_files_are_refused_readably(text: str, message: str) -> None:
    with pytest.raises(MqctlError, match=message):
        read_saved_plan(text, "plan.json")


def test_spec_sources_cover_every_file_of_the_spec_folders(tmp_path: Path) -> None:
    (tmp_path / "topics" / "sub").mkdir(parents=True)
    (tmp_path / "topics" / "a.yaml").write_text("topics: []\n")
    (tmp_path / "topics" / "sub" / "b.avsc").write_text("{}")
    (tmp_path / "topics" / ".a.yaml.swp").write_text("editor junk")
    (tmp_path / "elsewhere.yaml").write_text("not a spec")
    files, folders = read_spec_sources(tmp_path, ["topics", "acls"])
    assert files == {"topics/a.yaml": b"topics: []\n", "topics/sub/b.avsc": b"{}"}
    assert folders == ["topics"]


def test_a_saved_plan_with_a_scram_user_holds_neither_the_password_nor_its_hash() -> None:
    user_password = "alice-very-secret-pw"
    change = UserCreate(
        "alice",
        (FieldDiff("SCRAM-SHA-512", None, "8192 iterations, password set from $ALICE_PASSWORD"),),
        set_mechanisms=("SCRAM-SHA-512",),
        iterations=8192,
        password=Secret(user_password),
    )
    plan = Plan.build("dev", [change])
    live = {"topics": state(), "users": {"bob": {"SCRAM-SHA-512": 8192}}}
    text = json.dumps(saved_plan_dict(plan, fingerprints(plan, live, FILES, ["topics", "users"], ENV, "^.*$")))
    assert user_password not in text
    assert hashlib.sha256(user_password.encode()).hexdigest() not in text
    assert "ALICE_PASSWORD" in text  # the variable's name is what the plan shows
    assert not leaked_secret(text, ENV, plan)
    assert leaked_secret(text.replace("ALICE_PASSWORD", user_password), ENV, plan)


# --- issue 12, item 2: nothing in a saved plan a password guess could be tested against ----------


def _secret_forms(secret: str) -> list[str]:
    """The secret and the digests someone holding the plan file would test guesses against."""
    import base64

    data = secret.encode()
    return [secret, base64.b64encode(data).decode(), *(hashlib.new(name, data).hexdigest()
                                                       for name in ("md5", "sha1", "sha256", "sha512"))]


def test_the_config_digest_depends_on_no_secret_value() -> None:
    from mqctl.config import ConnectConfig, RegistryConfig

    def env(suffix: str) -> Environment:
        return replace(
            ENV,
            security=replace(ENV.security, password=Secret("kafka-pw-" + suffix),
                             ssl_key_password=Secret("key-" + suffix)),
            schema_registry=RegistryConfig("https://r:8081", "mqctl", Secret("registry-pw-" + suffix)),
            connect=ConnectConfig("https://c:8083", "mqctl", Secret("connect-pw-" + suffix)),
        )

    live = state(topic("dev.a.x.v1"))
    one, other = prints(live, env=env("one")), prints(live, env=env("two"))
    assert one == other  # no secret value is digested: a guess cannot be checked against the file
    text = json.dumps(saved_plan_dict(PLAN, one))
    for secret in ("kafka-pw-one", "key-one", "registry-pw-one", "connect-pw-one"):
        assert not any(form in text for form in _secret_forms(secret))


def test_a_sensitive_live_value_never_reaches_a_digest() -> None:
    from mqctl.kinds.brokers.live import LiveBrokerConfigs

    def brokers(value: str) -> LiveBrokerConfigs:
        entry = LiveConfig(value, "DYNAMIC_BROKER_CONFIG", sensitive=True)
        return LiveBrokerConfigs({"listener.name.x.ssl.key.password": entry}, {1: {"ssl.key.password": entry}})

    assert LiveConfig("hunter2-key", "STATIC_BROKER_CONFIG", sensitive=True).value is None
    assert live_resources("brokers", brokers("hunter2-key")) == live_resources("brokers", brokers("other-key"))
    text = json.dumps(live_resources("brokers", brokers("hunter2-key")))
    assert not any(form in text for form in _secret_forms("hunter2-key"))


def test_a_users_live_digest_is_of_mechanisms_and_iterations_only() -> None:
    live = {"alice": {"SCRAM-SHA-512": 8192, "SCRAM-SHA-256": 4096}}
    assert live_resources("users", live) == {"users[alice]": digest({"SCRAM-SHA-256": 4096, "SCRAM-SHA-512": 8192})}
