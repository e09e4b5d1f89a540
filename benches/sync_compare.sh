#!/usr/bin/env bash
# Sync, backup and restore of a `demo --scale N` store, as whole processes (issue 13).
# Prints wall time and peak RSS (`/usr/bin/time -f %M`) of:
#
#   sync (push)     the demo store's first sync into an empty sled server, as a manager
#                   whose team (the demo's owners) are users of the server
#   sync (pull)     the first sync of an empty laptop from that server
#   server          `outpost serve` over both (its peak RSS: VmHWM before it stops)
#   backup          of the demo store
#   restore         of that backup into an empty data dir
#
# Usage: benches/sync_compare.sh [SCALE]   (default 100000). STORE=DIR measures an
# existing demo store (copied, never changed) instead of making one; SKIP_BACKUP=1
# leaves out backup and restore (compare.sh measures them). OUTPOST_BIN=path
# measures that binary instead of building one ($CARGO_TARGET_DIR or target/).
# Targets: push and pull each under 10 s on loopback, the laptop under 150 MB and the
# server under 300 MB; backup and restore under 150 MB, restore within 2x of backup.
set -euo pipefail

SCALE="${1:-100000}"
cd "$(dirname "$0")/.."
. benches/outpost_bin.sh
[ -x /usr/bin/time ] || { echo "GNU time is not installed (apt-get install time)" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/outpost-sync.XXXXXX")"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
export OUTPOST_CONFIG_DIR="$WORK/config"
unset OUTPOST_SERVER OUTPOST_TOKEN

# measure NAME CMD...: runs CMD, appends "NAME secs rss_kb cpu_secs" to $WORK/results.
measure() {
    local name="$1"
    shift
    /usr/bin/time -o "$WORK/time" -f "%e %M %U %S" "$@" >"$WORK/out" 2>"$WORK/err" || {
        echo "$name failed:" >&2
        cat "$WORK/err" "$WORK/out" >&2
        exit 1
    }
    echo "$name $(tail -n 1 "$WORK/time" | awk '{ printf "%s %s %.2f", $1, $2, $3 + $4 }')" >>"$WORK/results"
}

if [ -n "${STORE:-}" ]; then
    cp -r "$STORE" "$WORK/demo"
else
    echo "building the demo store at scale $SCALE ..." >&2
    "$BIN" --data-dir "$WORK/demo" demo --scale "$SCALE" >/dev/null
fi

# The server: a manager and the demo's sales team (the owners of its records).
SRV="$WORK/srv"
token() { "$BIN" --data-dir "$SRV" server "$@" | tail -n 1 | tr -d '[:space:]'; }
boss="$(token user add boss --role manager --name 'Maja Berg')"
for user in "anna:Anna Becker" "tom:Tom Hughes" "marie:Marie Laurent" "kenji:Kenji Mori" "sara:Sara Lindqvist"; do
    "$BIN" --data-dir "$SRV" server user add "${user%%:*}" --name "${user#*:}" >/dev/null
done
second="$(token token add boss)"
"$BIN" --data-dir "$SRV" serve --listen 127.0.0.1:0 >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER_PID=$!
for _ in $(seq 100); do
    grep -q '^listening on ' "$WORK/serve.out" 2>/dev/null && break
    sleep 0.1
done
URL="$(sed -n 's/^listening on //p' "$WORK/serve.out" | head -n 1)"
[ -n "$URL" ] || { echo "the server did not start:" >&2; cat "$WORK/serve.err" >&2; exit 1; }

cp -r "$WORK/demo" "$WORK/push"
"$BIN" --data-dir "$WORK/push" sync login --server "$URL" --token "$boss" --keep-demo >/dev/null
measure push "$BIN" --data-dir "$WORK/push" sync
pushed="$(tr "\n" " " <"$WORK/out")"
"$BIN" --data-dir "$WORK/pull" sync login --server "$URL" --token "$second" >/dev/null
measure pull "$BIN" --data-dir "$WORK/pull" sync
pulled="$(tr "\n" " " <"$WORK/out")"
server_kb="$(awk '/^VmHWM/ { print $2 }' "/proc/$SERVER_PID/status")"
# utime + stime of the server, in clock ticks (fields 14 and 15 of /proc/PID/stat).
server_cpu="$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$SERVER_PID/stat")"
kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""

if [ -z "${SKIP_BACKUP:-}" ]; then
    measure backup "$BIN" --data-dir "$WORK/demo" backup "$WORK/backup.ndjson"
    measure restore "$BIN" --data-dir "$WORK/restored" restore "$WORK/backup.ndjson"
fi

get() { awk -v n="$1" -v f="$2" '$1 == n { print $f }' "$WORK/results" | tail -n 1; }
row() { printf '| %-40s | %7.2f s | %7.2f s | %5d MB |\n' "$1" "$(get "$2" 2)" "$(get "$2" 4)" $(($(get "$2" 3) / 1024)); }
echo
echo "scale $SCALE, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| work                                     |   wall    |    CPU    | peak RSS |"
echo "|---|---|---|---|"
row "sync: push to an empty sled server" push
row "sync: pull into an empty laptop" pull
printf '| %-40s | %9s | %7.2f s | %5d MB |\n' "outpost serve (over both)" "-" "$server_cpu" $((server_kb / 1024))
if [ -z "${SKIP_BACKUP:-}" ]; then
    row "backup" backup
    row "restore (into an empty data dir)" restore
    awk -v a="$(get restore 2)" -v b="$(get backup 2)" \
        'BEGIN { if (b > 0) printf "restore / backup: %.1fx (target <= 2x)\n", a / b }'
fi
echo "push said: $pushed"
echo "pull said: $pulled"
echo "targets: push and pull under 10 s each, laptop and backup/restore under 150 MB, server under 300 MB"
