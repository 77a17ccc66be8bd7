"""The new flags' mistakes are one line and exit 1 before anything connects; validate reports policy
violations and per-environment values offline."""

from __future__ import annotations

from tests.conftest import Project


def test_plan_and_apply_need_exactly_one_of_env_and_all_envs(offline_project: Project) -> None:
    res = offline_project.run("plan")
    assert res.exit_code == 1 and "missing --env ENV" in res.stderr
    res = offline_project.run("plan", "--env", offline_project.env, "--all-envs")
    assert res.exit_code == 1 and "not both" in res.stderr
    res = offline_project.run("apply", "--all-envs")
    assert res.exit_code == 1 and "needs --auto-approve" in res.stderr
    res = offline_project.run("plan", "--all-envs", "--out", "plan.json")
    assert res.exit_code == 1 and "--out saves the plan of one environment" in res.stderr


def test_a_bad_target_fails_before_connecting(offline_project: Project) -> None:
    offline_project.write("topics/a.yaml", "topics:\n  - {name: order.created.v1, partitions: 1, replication_factor: 1}"
                                           "\n")
    res = offline_project.run("plan", "--env", offline_project.env, "--target", "topic:order.*")
    assert res.exit_code == 1 and "no kind matches 'topic'" in res.stderr
    res = offline_project.run("apply", "--env", offline_project.env, "--target", "order.*", "--auto-approve")
    assert res.exit_code == 1 and "write KIND:NAME" in res.stderr


def test_validate_reports_policy_violations_and_env_values_per_environment(offline_project: Project) -> None:
    env = offline_project.env
    offline_project.write("topics/a.yaml", f"""\
        topics:
          - name: order.created.v1
            partitions: 1
            replication_factor: 1
            env:
              {env}: {{partitions: 2}}
              other: {{partitions: 3}}
        """)
    offline_project.write("policies/p.yaml", """\
        policies:
          - {name: three, kind: topics, rule: {min_partitions: 3}, severity: warning}
        """)
    res = offline_project.run("validate")
    assert res.exit_code == 1, res.output
    assert "topics/a.yaml:7: topics[0].env.other: 'other' is not an environment of mqctl.yaml" in res.stdout
    assert "warning: topics/a.yaml:2: partitions: policy three (policies/p.yaml:2): topics order.created.v1: " \
           "2 partitions; at least 3 required" in res.stdout
