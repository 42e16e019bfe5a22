#!/usr/bin/env bash
# Plays the handover demo with `gpuaas-sim rehearse --serve` and opens its live page in
# headless Chromium while the rehearsal runs. Fails unless the page, read while the
# rehearsal still plays, says it is connected, has had more than one update, has logged a
# pod's change of state, and Chromium logged no console error.
#
# `--dump-dom` would read the page once it has loaded, before any event has arrived, and
# virtual time (`--virtual-time-budget`) stands still while the event stream is open; so
# the page is read in real time through the DevTools protocol over a pipe
# (`--remote-debugging-pipe`: JSON messages ended by NUL on fds 3 and 4), from bash.
#
# Two controls run first, so that neither check can pass by seeing nothing: a page with a
# script error must show in the console check, and the live page opened from a file (no
# server behind it) must fail the page check.
# Usage: tests/live-view.sh   (GPUAAS_SIM: the binary; default: the debug build)
set -euo pipefail
cd "$(dirname "$0")/.."
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$CHROMIUM" ]; then
  echo "live-view: chromium not found (Debian: apt-get install chromium)" >&2
  exit 2
fi
SIM=${GPUAAS_SIM:-${CARGO_TARGET_DIR:-target}/debug/gpuaas-sim}
if [ ! -x "$SIM" ]; then
  echo "live-view: $SIM is not built (cargo build)" >&2
  exit 2
fi
SCENARIO=scenarios/gpuaas-demo/handover.yaml
SPEED=600
work=$(mktemp -d)
server=""
browser=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
  if [ -n "$browser" ]; then kill "$browser" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# --- Chromium through the DevTools protocol ------------------------------------------

# Starts a headless Chromium on about:blank; its log (console messages included) goes to
# $work/log.$1.
browser_start() {
  rm -rf "$work/profile"
  coproc CHROME {
    exec "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
      --disable-background-networking --disable-component-update --disable-sync \
      --user-data-dir="$work/profile" --enable-logging=stderr --v=0 \
      --remote-debugging-pipe about:blank 3<&0 4>&1 >/dev/null 2>"$work/log.$1"
  }
  browser=$CHROME_PID
  to=${CHROME[1]}
  from=${CHROME[0]}
  next_id=0
}

# Sends a command (method, params as JSON, optional session); leaves the reply in $answer.
cdp() {
  next_id=$((next_id + 1))
  local session="" msg
  if [ -n "${3:-}" ]; then session=",\"sessionId\":\"$3\""; fi
  printf '{"id":%d%s,"method":"%s","params":%s}\0' "$next_id" "$session" "$1" "$2" >&"$to"
  while IFS= read -r -d '' -t 20 -u "$from" msg; do
    case "$msg" in
      "{\"id\":$next_id,"*)
        answer=$msg
        case "$msg" in *'"error":'*) echo "live-view: $1 failed: $msg" >&2; return 1 ;; esac
        return 0 ;;
    esac
  done
  echo "live-view: no answer from Chromium to $1" >&2
  return 1
}

# A string field of $answer.
field() { grep -o "\"$1\":\"[^\"]*\"" <<<"$answer" | head -1 | cut -d'"' -f4; }

# Opens $1 in a new tab; the tab's session is in $session.
open_page() {
  cdp Target.createTarget "{\"url\":\"$1\"}"
  local target
  target=$(field targetId)
  cdp Target.attachToTarget "{\"targetId\":\"$target\",\"flatten\":true}"
  session=$(field sessionId)
}

# The value of a JavaScript string expression in the page, JSON-unescaped enough to grep.
evaluate() {
  local expr=$1
  cdp Runtime.evaluate "{\"expression\":\"$expr\",\"returnByValue\":true}" "$session"
  sed -e 's/^.*"value":"//' -e 's/"}},"sessionId".*$//' -e 's/\\"/"/g' -e 's/\\n/\n/g' \
    -e 's/\\u2192/→/g' -e 's/\\u003C/</g' -e 's/\\u003E/>/g' -e 's/\\u0026/\&/g' <<<"$answer"
}

browser_stop() {
  cdp Browser.close '{}' || true
  wait "$browser" 2>/dev/null || true
  browser=""
}

# Console messages Chromium logged: "CONSOLE(...)" lines, or "Uncaught ..." errors.
console_errors() {
  grep -E 'CONSOLE|Uncaught|Failed to load resource' "$work/log.$1" || true
}

# Waits (at most $2 seconds) until the page has had more than one update and logged a
# change, so that a slow start is not a failure; then leaves its DOM in $work/dom.$1.
read_page() {
  local name=$1 deadline=$((SECONDS + $2)) progress
  while [ "$SECONDS" -lt "$deadline" ]; do
    progress=$(evaluate "document.body.dataset.updates + ' ' + document.querySelectorAll('#changes li').length")
    read -r updates changes <<<"$progress"
    # Before the page has loaded, these are not numbers yet.
    case "$updates $changes" in *[!0-9\ ]* | " " | *" ") updates=0 changes=0 ;; esac
    if [ "$updates" -gt 1 ] && [ "$changes" -gt 0 ]; then break; fi
    sleep 0.2
  done
  evaluate "document.documentElement.outerHTML" >"$work/dom.$name"
}

# The page check on $work/dom.$1: status connected, more than one update, a pod's change
# of state in #changes. Prints what it found; fails when one is missing.
check_page() {
  local dom="$work/dom.$1" status updates change
  status=$(grep -o '<span id="status"[^>]*>[^<]*</span>' "$dom" | sed -e 's/<[^>]*>//g' || true)
  updates=$(grep -o '<body[^>]*data-updates="[0-9]*"' "$dom" | grep -o '[0-9]*"$' | tr -d '"' || true)
  # A line of the log: <span class="pod">NAME</span>: FROM → TO, for a pod of the demo.
  change=$(grep -o '<span class="pod">[a-z0-9.-]*-predictor-[a-z0-9-]*</span>: [^<]* → [^<]*' "$dom" | head -1 |
    sed -e 's/<[^>]*>//g' || true)
  echo "status: ${status:-none}; updates: ${updates:-none}; a pod's change: ${change:-none}"
  [ "$status" = connected ] && [ "${updates:-0}" -gt 1 ] && [ -n "$change" ]
}

# --- Controls --------------------------------------------------------------------------

cat >"$work/broken.html" <<'HTML'
<!DOCTYPE html><html><body><h1>control</h1><script>not_defined_anywhere();</script></body></html>
HTML
browser_start broken
open_page "file://$work/broken.html"
sleep 1
browser_stop
if [ -z "$(console_errors broken)" ]; then
  echo "live-view: the control page's script error was not reported; cannot check" >&2
  exit 2
fi
echo "ok     control: a page's script error shows in the console check"

browser_start file
open_page "file://$(realpath src/rehearse/live.html)"
read_page file 2
browser_stop
if found=$(check_page file); then
  echo "live-view: the live page without a server passed the page check ($found); cannot check" >&2
  exit 2
fi
echo "ok     control: the live page without a server fails the check ($found)"

# --- The live page of a rehearsal ------------------------------------------------------

browser_start live
"$SIM" rehearse "$SCENARIO" --speed "$SPEED" --serve 127.0.0.1:0 </dev/null >"$work/rehearsal" 2>&1 &
server=$!
# Port 0: the system picks a free port, which the rehearsal prints first.
url=""
for _ in $(seq 100); do
  url=$(grep -o 'live view: http://[0-9.:]*/' "$work/rehearsal" | head -1 | cut -d' ' -f3 || true)
  if [ -n "$url" ] || ! kill -0 "$server" 2>/dev/null; then break; fi
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "FAILED live view: the rehearsal did not serve" >&2
  cat "$work/rehearsal" >&2
  exit 1
fi
open_page "$url"
# The demo's 45 minutes take 4.5 s at ×600: the page must have seen a change well before.
read_page live 10
browser_stop
kill "$server" 2>/dev/null || true
wait "$server" 2>/dev/null || true
server=""

errors=$(console_errors live)
if found=$(check_page live) && [ -z "$errors" ]; then
  echo "ok     live view of $SCENARIO at ×$SPEED ($url): $found; no console errors"
else
  echo "FAILED live view of $SCENARIO at ×$SPEED ($url): $found; console: ${errors:-none}"
  exit 1
fi
