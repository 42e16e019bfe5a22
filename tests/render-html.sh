#!/usr/bin/env bash
# Opens every bundled report.html in headless Chromium and fails when a page logs a console
# error or does not render its sections and plots. A page with a deliberate script error is
# checked first, so that a Chromium that reports nothing cannot pass the check.
# Usage: tests/render-html.sh [REPORT.html...]   (default: reports/*/report.html)
set -euo pipefail
cd "$(dirname "$0")/.."
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$CHROMIUM" ]; then
  echo "render-html: chromium not found (Debian: apt-get install chromium)" >&2
  exit 2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Renders $1; leaves the DOM in $work/dom and Chromium's log in $work/log.
render() {
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile" --enable-logging=stderr --v=0 \
    --virtual-time-budget=5000 --dump-dom "file://$(realpath "$1")" >"$work/dom" 2>"$work/log" || true
}

# Console messages Chromium logs: "CONSOLE(...)" lines, or "Uncaught ..." errors.
console_errors() {
  grep -E 'CONSOLE|Uncaught|Failed to load resource' "$work/log" || true
}

cat >"$work/broken.html" <<'HTML'
<!DOCTYPE html><html><body><h1>control</h1><script>not_defined_anywhere();</script></body></html>
HTML
render "$work/broken.html"
if [ -z "$(console_errors)" ]; then
  echo "render-html: the control page's script error was not reported; cannot check" >&2
  exit 2
fi

pages=("$@")
if [ ${#pages[@]} -eq 0 ]; then
  pages=(reports/*/report.html)
fi
failed=0
for page in "${pages[@]}"; do
  render "$page"
  errors=$(console_errors)
  svgs=$(grep -c '<svg' "$work/dom" || true)
  missing=""
  for id in summary plots timeline deadlocks expectations cost; do
    grep -q "id=\"$id\"" "$work/dom" || missing="$missing $id"
  done
  if [ -n "$errors" ] || [ -n "$missing" ] || [ "$svgs" -eq 0 ]; then
    echo "FAILED $page: console: ${errors:-none}; missing sections:${missing:- none}; plots rendered: $svgs"
    failed=1
  else
    echo "ok     $page: rendered, $svgs plots, no console errors"
  fi
done

# A sweep's page (`gpuaas-sim sweep`), from the sweep example, when the binary is built.
SIM=${GPUAAS_SIM:-${CARGO_TARGET_DIR:-target}/debug/gpuaas-sim}
if [ $# -eq 0 ] && [ -x "$SIM" ]; then
  "$SIM" sweep docs/sweep-example/scenario.yaml --set 'nodePools[gpu].instanceType=g6.xlarge,p5.48xlarge' \
    --set 'nodePools[gpu].count=1..3' --seeds 2 --quiet --out "$work/sweep"
  render "$work/sweep/sweep.html"
  errors=$(console_errors)
  circles=$(grep -c '<circle' "$work/dom" || true)
  if [ -n "$errors" ] || ! grep -q 'id="plot"' "$work/dom" || ! grep -q 'id="points"' "$work/dom" || [ "$circles" -ne 6 ]; then
    echo "FAILED sweep.html: console: ${errors:-none}; points plotted: $circles of 6"
    failed=1
  else
    echo "ok     sweep.html: rendered, $circles points plotted, no console errors"
  fi
fi
exit $failed
