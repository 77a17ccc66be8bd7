"""The GitHub Actions example updates only its own plan comment (issue 12, item 11): the comment
step's JavaScript, taken from examples/ci/github-actions.yml as it is, runs in QuickJS against a
stand-in for github-script's `github`, `context`, `require('fs')` and `process.env`. A comment a
pull-request author posts starting with the marker must never be the one updated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import quickjs
import yaml

WORKFLOW = Path(__file__).resolve().parents[2] / "examples" / "ci" / "github-actions.yml"
MARKER = "<!-- mqctl-plan:prod -->"
PLAN = f"{MARKER}\n### mqctl plan for `prod`\n"
BOT = {"login": "github-actions[bot]", "type": "Bot"}

HARNESS = """
var calls = [];
var process = {env: %(env)s};
var comments = %(comments)s;
function require(name) { return {readFileSync: function () { return %(plan)s; }}; }
var context = {repo: {owner: 'o', repo: 'r'}, issue: {number: 7}};
var github = {
  paginate: async function (method, args) { return comments; },
  rest: {issues: {
    listComments: 'listComments',
    updateComment: async function (args) { calls.push({update: args.comment_id, body: args.body}); },
    createComment: async function (args) { calls.push({create: args.issue_number, body: args.body}); },
  }},
};
(async function () {
%(script)s
})().catch(function (e) { calls.push({error: String(e)}); });
"""


def comment_step() -> dict[str, Any]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    steps = [s for s in workflow["jobs"]["plan"]["steps"] if str(s.get("uses", "")).startswith("actions/github-script")]
    (step,) = steps
    return step


def run_step(comments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    step = comment_step()
    ctx = quickjs.Context()
    ctx.eval(HARNESS % {"env": json.dumps(step.get("env", {})), "comments": json.dumps(comments),
                        "plan": json.dumps(PLAN), "script": step["with"]["script"]})
    while ctx.execute_pending_job():
        pass
    calls: list[dict[str, Any]] = json.loads(ctx.eval("JSON.stringify(calls)"))
    return calls


def test_the_bots_own_comment_is_updated_in_place() -> None:
    calls = run_step([{"id": 1, "body": "LGTM", "user": {"login": "alice", "type": "User"}},
                      {"id": 2, "body": PLAN + "(old)", "user": BOT}])
    assert calls == [{"update": 2, "body": PLAN}]


def test_a_comment_planted_with_the_marker_is_never_updated() -> None:
    planted = {"id": 1, "body": MARKER + "\nnothing to see here", "user": {"login": "mallory", "type": "User"}}
    assert run_step([planted]) == [{"create": 7, "body": PLAN}]
    assert run_step([planted, {"id": 2, "body": PLAN + "(old)", "user": BOT}]) == [{"update": 2, "body": PLAN}]


def test_another_bots_comment_with_the_marker_is_not_ours() -> None:
    other = {"id": 3, "body": PLAN, "user": {"login": "renovate[bot]", "type": "Bot"}}
    assert run_step([other]) == [{"create": 7, "body": PLAN}]
    impostor = {"id": 4, "body": PLAN, "user": {"login": "github-actions[bot]", "type": "User"}}
    assert run_step([impostor]) == [{"create": 7, "body": PLAN}]


def test_the_harness_runs_the_script_for_real() -> None:
    """Without comments the step creates one; a script that threw would show as an error call."""
    assert run_step([]) == [{"create": 7, "body": PLAN}]
    assert comment_step()["env"] == {"COMMENT_AUTHOR": "github-actions[bot]"}
