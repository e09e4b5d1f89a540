#!/usr/bin/env bash
# outpost next to sqlite3 on the same 100k rows (issue 13). Prints, for each piece of
# work, wall time and peak RSS (`/usr/bin/time -f %M`) of the whole process, and the
# ratio to sqlite3 where sqlite3 does the same job:
#
#   demo --scale 100000          (fills the store: 100k contacts, 409k records)
#   export contact --format csv  vs  sqlite3 -csv 'select * from contacts'
#   import contact (100k new rows: first,last,title,email,phone)  vs  sqlite3 .import --csv
#   backup, restore (into an empty data dir)
#   sync: push to an empty server, pull into an empty laptop, and the server's peak RSS
#   (benches/sync_compare.sh; skip with SKIP_SYNC=1)
#   TUI figures from `cargo bench --bench tui` and its peak memory from
#   benches/tui_memory.sh (skip both with SKIP_TUI=1)
#
# Usage: benches/compare.sh [SCALE]   (default 100000; RUNS=3 takes medians of 3 runs,
# alternating outpost and sqlite3). Needs sqlite3 and GNU time (/usr/bin/time).
# Uses $CARGO_TARGET_DIR (default target/) for the release build; OUTPOST_BIN=path
# measures that binary instead.
set -euo pipefail

SCALE="${1:-100000}"
RUNS="${RUNS:-1}"
cd "$(dirname "$0")/.."
. benches/outpost_bin.sh
command -v sqlite3 >/dev/null || { echo "sqlite3 is not installed (apt-get install sqlite3)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time is not installed (apt-get install time)" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/outpost-compare.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export OUTPOST_CONFIG_DIR="$WORK/config"

# measure NAME CMD...: runs CMD (stdout to $WORK/out), appends "NAME secs rss_kb" to $WORK/results.
measure() {
    local name="$1"
    shift
    /usr/bin/time -o "$WORK/time" -f "%e %M" "$@" >"$WORK/out" 2>"$WORK/err" || {
        echo "$name failed:" >&2
        cat "$WORK/err" >&2
        exit 1
    }
    echo "$name $(tail -n 1 "$WORK/time")" >>"$WORK/results"
}

echo "building the demo store at scale $SCALE ..." >&2
measure demo "$BIN" --data-dir "$WORK/store" demo --scale "$SCALE"

# The same contacts in sqlite3: outpost's own CSV export, imported once.
"$BIN" --data-dir "$WORK/store" export contact --format csv >"$WORK/contacts.csv"
sqlite3 "$WORK/contacts.db" ".import --csv $WORK/contacts.csv contacts"

# 100k new rows, as a user would import them.
awk -v n="$SCALE" 'BEGIN {
    print "first_name,last_name,title,email,phone";
    for (i = 0; i < n; i++)
        printf "New%d,Person%d,Buyer,new%d@import.example,+49 30 %07d\n", i, i, i, i;
}' >"$WORK/new.csv"

for run in $(seq "$RUNS"); do
    measure export "$BIN" --data-dir "$WORK/store" export contact --format csv
    measure sqlite_export sqlite3 -csv "$WORK/contacts.db" "select * from contacts"

    rm -rf "$WORK/imp"
    cp -r "$WORK/store" "$WORK/imp"
    measure import "$BIN" --data-dir "$WORK/imp" import contact "$WORK/new.csv"
    rm -f "$WORK/imp.db"
    cp "$WORK/contacts.db" "$WORK/imp.db"
    measure sqlite_import sqlite3 "$WORK/imp.db" ".import --csv $WORK/new.csv contacts"

    rm -f "$WORK/backup.ndjson"
    measure backup "$BIN" --data-dir "$WORK/store" backup "$WORK/backup.ndjson"
    rm -rf "$WORK/restored"
    measure restore "$BIN" --data-dir "$WORK/restored" restore "$WORK/backup.ndjson"
done

median() { # median NAME FIELD(2=secs,3=rss)
    awk -v n="$1" -v f="$2" '$1 == n { print $f }' "$WORK/results" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'
}

row() { # row LABEL NAME [SQLITE_NAME [TARGET_RATIO]]
    local t rss st ratio
    t="$(median "$2" 2)"
    rss="$(median "$2" 3)"
    if [ -n "${3:-}" ]; then
        st="$(median "$3" 2)"
        ratio="$(awk -v a="$t" -v b="$st" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }')"
        printf '| %-34s | %7.2f s | %7.2f s | %6s (target <= %s) | %5d MB |\n' "$1" "$t" "$st" "$ratio" "$4" $((rss / 1024))
    else
        printf '| %-34s | %7.2f s | %9s | %-23s | %5d MB |\n' "$1" "$t" "-" "-" $((rss / 1024))
    fi
}

echo
echo "scale $SCALE, $RUNS run(s), medians; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| work                               |  outpost  |  sqlite3  | ratio                   | peak RSS |"
echo "|---|---|---|---|---|"
row "export contact --format csv" export sqlite_export 1.0
row "import contact (new rows)" import sqlite_import 2.0
row "demo --scale $SCALE" demo
row "backup" backup
row "restore" restore
printf '| %-34s | sqlite3 peak RSS: export %d MB, import %d MB |\n' "(sqlite3)" \
    $(($(median sqlite_export 3) / 1024)) $(($(median sqlite_import 3) / 1024))
bt="$(median backup 2)"
rt="$(median restore 2)"
awk -v a="$rt" -v b="$bt" 'BEGIN { if (b > 0) printf "restore / backup: %.1fx (target <= 2x)\n", a / b }'
echo "peak RSS targets: 150 MB for every command, 300 MB for demo"

if [ -z "${SKIP_SYNC:-}" ]; then
    echo
    echo "sync (benches/sync_compare.sh, on a copy of this demo store):"
    STORE="$WORK/store" OUTPOST_BIN="$BIN" SKIP_BACKUP=1 TMPDIR="$WORK" benches/sync_compare.sh "$SCALE"
fi

if [ -z "${SKIP_TUI:-}" ]; then
    echo
    echo "TUI (cargo bench --bench tui, on a fresh copy of this demo store):"
    rm -rf "$WORK/tui"
    cp -r "$WORK/store" "$WORK/tui"
    OUTPOST_BENCH_STORE="$WORK/tui" cargo bench --quiet --bench tui 2>/dev/null
    if command -v tmux >/dev/null; then
        echo
        STORE="$WORK/tui" OUTPOST_BIN="$BIN" benches/tui_memory.sh
    else
        echo "(tmux is not installed: the TUI's peak memory is not measured)"
    fi
fi
