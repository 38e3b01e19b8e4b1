#!/usr/bin/env bash
# Instructions per dispatch, counted by callgrind: stable on a busy machine, where wall-clock
# figures are not. Each case runs twice (N1 and N2 iterations); the difference divided by
# N2 - N1 is the cost of one dispatch, without start-up.
#
#   bash bench/callgrind.sh                    # our cases
#   bash bench/callgrind.sh ping jsonrpsee_ping
#   KEEP=1 bash bench/callgrind.sh ping        # keep the profile: callgrind_annotate it
set -euo pipefail
cd "$(dirname "$0")"
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
cargo build --release --example callgrind --quiet
BIN=${CARGO_TARGET_DIR:-target}/release/examples/callgrind
OUT=${CARGO_TARGET_DIR:-target}/callgrind
mkdir -p "$OUT"
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(ping ping_awaiting subtract subtract_named not_found parse_error batch10 batch100 batch1000 echo)
instructions() {
    valgrind --tool=callgrind --callgrind-out-file="$OUT/$1.$2.out" "$BIN" "$1" "$2" >/dev/null 2>&1
    sed -n 's/^summary: \([0-9]*\).*/\1/p' "$OUT/$1.$2.out"
}
printf "%-26s %14s\n" case "instr/dispatch"
for case in "${cases[@]}"; do
    n1=200 n2=2200
    case $case in *batch1000 | *echo | roundtrip) n1=2 n2=12 ;; *batch100) n1=20 n2=220 ;; esac
    a=$(instructions "$case" "$n1")
    b=$(instructions "$case" "$n2")
    printf "%-26s %14d\n" "$case" $(((b - a) / (n2 - n1)))
    if [ -z "${KEEP:-}" ]; then rm -f "$OUT/$case.$n1.out"; else echo "  profile: $OUT/$case.$n2.out"; fi
    [ -n "${KEEP:-}" ] || rm -f "$OUT/$case.$n2.out"
done
