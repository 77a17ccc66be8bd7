#!/usr/bin/env bash
# `make demo`'s steps on a running local cluster: validate every spec, apply the example specs to each
# environment (apply shows its plan, once), then plan each again, which must find no changes.
# It prints one summary line per step and, once at the end, what was not applied and why (the
# warnings of all steps, each once); every step's full output is kept in $MQCTL_DEMO_LOG_DIR.
#
#   scripts/demo.sh [ENV ...]     environments in apply order (default: secure dev: dev's MirrorMaker 2
#                                 connectors log in to secure as the mirror-maker user secure creates)
# Environment: MQCTL (the mqctl to run; default .venv/bin/mqctl, else mqctl on PATH),
# MQCTL_DEMO_LOG_DIR (default .demo). Run it from the project root; the passwords the specs read must
# be set (the Makefile exports local.env). Exit: 0 converged, else the failing step's exit code.
set -uo pipefail

envs=("$@")
[[ ${#envs[@]} -gt 0 ]] || envs=(secure dev)
MQCTL=${MQCTL:-$([[ -x .venv/bin/mqctl ]] && echo .venv/bin/mqctl || echo mqctl)}
LOG_DIR=${MQCTL_DEMO_LOG_DIR:-.demo}
mkdir -p "$LOG_DIR"
rm -f "$LOG_DIR"/*.log
export NO_COLOR=1 # the logs are read later, and a summary line is grepped from them

steps=("validate")
for env in "${envs[@]}"; do steps+=("apply --env $env --auto-approve"); done
for ((i = ${#envs[@]} - 1; i >= 0; i--)); do steps+=("plan --env ${envs[i]}"); done
total=${#steps[@]}
start=$SECONDS
echo "::: mqctl demo: ${total} steps on ${envs[*]}; each step's full output (plans, every change) in $LOG_DIR/"

# The lines that sum a step up: validate's verdict, the plan's summary, apply's outcome.
summary() {
  grep -E '^(validate: |Plan: |Plan failed|No changes\.|Apply (complete|incomplete)|Apply cancelled|[0-9]+ planned change)' "$1" |
    paste -sd' ' - | sed 's/ No changes\./; no changes./'
}

n=0
shown=0
for step in "${steps[@]}"; do
  n=$((n + 1))
  log="$LOG_DIR/$n-${step// /_}.log"
  log=${log//--/}
  t0=$SECONDS
  # shellcheck disable=SC2086 # the step is words on purpose
  "$MQCTL" $step >"$log" 2>&1
  rc=$?
  printf '[%d/%d] mqctl %-40s %s (%d s)\n' "$n" "$total" "$step" "$(summary "$log")" $((SECONDS - t0))
  # plan's 2 means changes, which only the final plans must not have; apply's 2: changes left undone
  if [[ $step == apply* && $shown -eq 0 ]] && grep -q '^mqctl will make these changes' "$log"; then
    shown=1 # what a plan looks like, once: its first changes
    changes=$(awk '/^mqctl will make these changes/ {on = 1; next} on && /^$/ {if (seen) exit; next} on {seen = 1; print}' "$log")
    head -n 12 <<<"$changes" | sed 's/^/      /'
    echo "        ... $(($(wc -l <<<"$changes") - 12)) more lines of this plan in $log"
  fi
  if [[ $rc -ne 0 ]]; then
    echo "::: step $n failed with exit code $rc; its output ($log):"
    tail -n 40 "$log"
    exit "$rc"
  fi
done

warnings=$(cat "$LOG_DIR"/*.log | grep -E '^warning: ' | awk '!seen[$0]++')
if [[ -n $warnings ]]; then
  echo "::: not applied, or worth knowing (each said once; the steps' logs show where):"
  sed 's/^/  /' <<<"$warnings"
fi
echo "::: converged in $((SECONDS - start)) s: the final plans found no changes. Next: README \"Using it\"."
