#!/usr/bin/env bash
# Compares two sets of reports written by `gpuaas-sim run --out`, scenario by scenario:
# every BASE/<scenario>/report.json with PR/<scenario>/report.json.
#
#   docs/ci/compare-runs.sh BASE PR OUT [compare flags...]
#
# Appends one Markdown section per scenario to OUT/summary.md and writes
# OUT/compare-<scenario>.xml (JUnit). A scenario only the PR runs, or only the base, is
# noted in the summary; it has nothing to be compared with.
# Exit 0: no regression; 1: a regression; 2: a report could not be read or a file written.
# GPUAAS_SIM names the binary (default: gpuaas-sim on the PATH).
set -uo pipefail

if [ $# -lt 3 ]; then
  echo "usage: $0 BASE PR OUT [compare flags...]" >&2
  exit 2
fi
base=$1 pr=$2 out=$3
shift 3
sim=${GPUAAS_SIM:-gpuaas-sim}
mkdir -p "$out" || exit 2
summary=$out/summary.md

# The scenario folders holding a report.json, one name a line, sorted.
scenarios() {
  [ -d "$1" ] || return 0
  find "$1" -mindepth 2 -maxdepth 2 -name report.json | while read -r f; do
    basename "$(dirname "$f")"
  done | LC_ALL=C sort
}

status=0
worst() {
  # 2 (could not compare) outranks 1 (a regression), which outranks 0.
  # Any other code (a crash) counts as 2.
  local rc=$1
  if [ "$rc" -gt 2 ]; then rc=2; fi
  if [ "$rc" -gt "$status" ]; then status=$rc; fi
}

base_names=$(scenarios "$base")
for name in $(scenarios "$pr"); do
  if [ ! -f "$base/$name/report.json" ]; then
    printf '## gpuaas-sim compare: %s\n\nNew in this pull request: nothing to compare it with.\n\n' "$name" >>"$summary"
    continue
  fi
  "$sim" compare "$base/$name/report.json" "$pr/$name/report.json" \
    --format markdown --junit "$out/compare-$name.xml" "$@" >>"$summary"
  rc=$?
  if [ "$rc" -ge 2 ]; then
    printf '## gpuaas-sim compare: %s\n\nNot compared (see the job'"'"'s log).\n' "$name" >>"$summary"
    rc=2
  fi
  # Sections of several scenarios follow each other in one summary.
  echo >>"$summary"
  worst "$rc"
done
for name in $base_names; do
  if [ ! -f "$pr/$name/report.json" ]; then
    printf '## gpuaas-sim compare: %s\n\nNo longer run by this pull request: nothing compared.\n\n' "$name" >>"$summary"
  fi
done
exit "$status"
