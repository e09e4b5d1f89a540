#!/usr/bin/env bash
# The TUI's peak memory on a big store (issue 13: 150 MB at 100k records), reached as a
# user reaches it: the TUI runs in tmux, every view is visited (each loaded in full
# before the next key), then the global search is opened over a view and `nord` typed.
# Prints VmHWM (peak RSS, /proc/PID/status) after browsing, and after the search, for
# the search opened over the contacts list, the activities list, the reports and the
# conflicts inbox, and from a fresh start on the dashboard.
#
# Usage: STORE=DIR benches/tui_memory.sh
#   DIR holds a demo store (`outpost --data-dir DIR demo --scale 100000`); the TUI only
#   reads it. OUTPOST_BIN=path measures that binary instead of a release build; uses
#   $CARGO_TARGET_DIR (default target/). Needs tmux.
set -euo pipefail

cd "$(dirname "$0")/.."
: "${STORE:?STORE=DIR of a demo store (outpost --data-dir DIR demo --scale 100000)}"
command -v tmux >/dev/null || { echo "tmux is not installed (apt-get install tmux)" >&2; exit 1; }
. benches/outpost_bin.sh
CONFIG="$(mktemp -d)"
SESSION="outpost-memory-$$"
KEEP="keep-outpost-memory-$$"
# A session kept open throughout keeps tmux's server up between measurements.
tmux new-session -d -s "$KEEP" "sleep 86400"
trap 'tmux kill-session -t "=$SESSION" 2>/dev/null || true; tmux kill-session -t "=$KEEP" 2>/dev/null || true; rm -rf "$CONFIG"' EXIT

peak() { awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$PID/status"; }

# Waits until nothing on screen is loading (no job's label in the status line, no list
# loading the rest, no search indexing) and the screen stops changing (60 s at most).
settle() {
    local last="" now i
    for i in $(seq 1 600); do
        sleep 0.1
        now="$(tmux capture-pane -p -t "=$SESSION:")"
        if ! grep -qE 'Loading|loading|Indexing|indexing|searching|Computing|Syncing|Checking' <<<"$now" && [ "$now" = "$last" ]; then
            return 0
        fi
        last="$now"
    done
    echo "the screen did not settle in 60 s:" >&2
    tmux capture-pane -p -t "=$SESSION:" >&2
    exit 1
}

keys() {
    local k
    for k in "$@"; do
        tmux send-keys -t "=$SESSION:" "$k"
        settle
        [ -z "${VERBOSE:-}" ] || echo "  after $k: rss $(awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$PID/status") MB, peak $(peak) MB" >&2
    done
}

# measure LABEL BROWSE(yes/no) KEY: KEY is the view the search opens over.
measure() {
    local label="$1" browse="$2" view="$3" after_browsing="-"
    PID="$(tmux new-session -d -P -F '#{pane_pid}' -s "$SESSION" -x 160 -y 45 \
        "exec env OUTPOST_CONFIG_DIR='$CONFIG' '$BIN' --data-dir '$STORE'")"
    settle
    if [ "$browse" = yes ]; then
        keys 2 3 4 5 6 7 8 9 0 r 1
        after_browsing="$(peak)"
    fi
    keys "$view" s n o r d
    printf '%-44s after browsing %4s MB   with the search open %4s MB\n' \
        "$label" "$after_browsing" "$(peak)"
    keys Escape
    tmux send-keys -t "=$SESSION:" q
    local i
    for i in $(seq 1 100); do
        [ -e "/proc/$PID" ] || break
        [ "$i" -lt 50 ] || tmux kill-session -t "=$SESSION" 2>/dev/null || true
        sleep 0.1
    done
    tmux kill-session -t "=$SESSION" 2>/dev/null || true
}

echo "TUI peak RSS on $STORE (target: 150 MB)"
measure "search over the dashboard, fresh start" no 1
measure "search over the contacts list" yes 4
measure "search over the activities list" yes 8
measure "search over the reports" yes r
measure "search over the conflicts inbox" yes 0
