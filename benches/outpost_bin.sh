# Sourced by the benchmark scripts, from the repository's root: sets BIN, the outpost
# binary to measure, as an absolute path. OUTPOST_BIN=path measures that build (e.g. to
# compare before and after a change); else a release build is made first in
# $CARGO_TARGET_DIR (default target/).
if [ -n "${OUTPOST_BIN:-}" ]; then
    BIN="$OUTPOST_BIN"
else
    cargo build --release --quiet
    BIN="${CARGO_TARGET_DIR:-target}/release/outpost"
fi
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"
