#!/usr/bin/env bash
# Memory soak (issue 13, "Memory and speed"): scalelab load, open loop at
# RATE req/s on one core against the reference nginx on another, headless,
# recording on, for MINUTES minutes; prints the generator's RSS at 5 s and
# at each minute, and checks the targets: RSS at the last minute within 5%
# of minute 1, and at most 64 MiB throughout.
#
# Run from the repo root after `make build` (or via `make bench-soak`).
# Settings through the environment:
#   RATE=100000 MINUTES=10 GEN_CPU=0 SRV_CPU=1 PORT=18080
#   SCALELAB_BIN=bin/scalelab
# Exit status: 0 when the harness ran (missed targets are printed as
# MISSED), 1 when it could not run.
set -euo pipefail

RATE=${RATE:-100000}
MINUTES=${MINUTES:-10}
GEN_CPU=${GEN_CPU:-0}
SRV_CPU=${SRV_CPU:-1}
PORT=${PORT:-18080}
LIMIT_MIB=64

cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${SCALELAB_BIN:-$ROOT/bin/scalelab}
URL=http://127.0.0.1:$PORT/
RUNDIR=/tmp/bench-nginx

# shellcheck source=bench/nginx.sh
. "$ROOT/bench/nginx.sh"

[ -x "$BIN" ] || die "no $BIN: run make build first"
install_tools
lock_bench
trap stop_nginx EXIT
start_nginx

work=$(mktemp -d)
rec=$work/soak.scalelab
# rss_kib prints a process's resident set in KiB (0 once it is gone);
# rss_parts its anonymous part (what the program allocated) and its file
# part (the binary's own pages mapped in).
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
rss_parts() {
	awk '/^RssAnon:/ {a=$2} /^RssFile:/ {f=$2} END {printf "anon %6d KiB  file %6d KiB", a, f}' "/proc/$1/status" 2>/dev/null
	printf '  fds %5d' "$(ls "/proc/$1/fd" 2>/dev/null | wc -l)"
}

GODEBUG=${GODEBUG:-} taskset -c "$GEN_CPU" "$BIN" load "$URL" --rate "$RATE" --duration "${MINUTES}m" --record "$rec" --json \
	>"$work/summary.json" 2>"$work/stderr" &
pid=$!
start=$(date +%s)
sleep 5
first=$(rss_kib "$pid")
echo "soak: $RATE req/s for $MINUTES min, recording to $rec"
printf 'soak: %6s  RSS %6d KiB  (%s)\n' "5s" "$first" "$(rss_parts "$pid")"
peak=$first
declare -a at
for m in $(seq "$MINUTES"); do
	while [ $(($(date +%s) - start)) -lt $((m * 60 - 1)) ]; do sleep 1; done
	r=$(rss_kib "$pid")
	at[$m]=$r
	[ "$r" -gt "$peak" ] && peak=$r
	printf 'soak: %5dm  RSS %6d KiB  (%s)\n' "$m" "$r" "$(rss_parts "$pid")"
done
wait "$pid" || die "scalelab load failed: $(tail -3 "$work/stderr")"
jq -r '"soak: sent \(.requests) requests in \(.duration_s) s (\(.rps) req/s), \(.failed) failed, \(.dropped) dropped"' "$work/summary.json"
echo "soak: recording $(du -h "$rec" | cut -f1)"
one=${at[1]}
last=${at[$MINUTES]}
growth=$(awk -v a="$one" -v b="$last" 'BEGIN { printf "%.1f", 100 * (b - a) / a }')
verdict() { if [ "$1" = 1 ]; then echo "met"; else echo "MISSED"; fi; }
flat=$(awk -v g="$growth" 'BEGIN { print (g <= 5 && g >= -5) ? 1 : 0 }')
small=$(awk -v p="$peak" -v l="$LIMIT_MIB" 'BEGIN { print (p <= l * 1024) ? 1 : 0 }')
echo "soak: minute $MINUTES vs minute 1: ${growth}% ($(verdict "$flat"): within 5%)"
echo "soak: peak RSS $((peak / 1024)) MiB ($(verdict "$small"): at most $LIMIT_MIB MiB)"
[ -n "${KEEP:-}" ] && cp "$work/stderr" "$KEEP"
rm -rf "$work"
