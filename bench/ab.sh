#!/usr/bin/env bash
# A/B two scalelab builds against the reference nginx, alternating rounds on
# the same pinned cores, to measure the effect of an engine change:
#
#   go build -o /tmp/a . ; (edit) ; go build -o /tmp/b .
#   bench/ab.sh /tmp/a /tmp/b                      # closed loop, 64 connections
#   FLAGS='--rate 50000' bench/ab.sh /tmp/a /tmp/b # open loop
#   bench/ab.sh wrk /tmp/b                         # against wrk -t1 -c64
#
# Prints per round (rps dropped late p99-ms cpu-µs/request) and the medians.
# Settings: ROUNDS=5 DURATION=10s CONNS=64 FLAGS='--concurrency $CONNS' GEN_CPU=0 SRV_CPU=1
# PORT=18080.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
FLAGS=${FLAGS:---concurrency $CONNS}
GEN_CPU=${GEN_CPU:-0}
SRV_CPU=${SRV_CPU:-1}
PORT=${PORT:-18080}

[ $# -eq 2 ] || { echo "usage: $0 BIN_A BIN_B" >&2; exit 2; }
# "wrk" as A or B runs wrk -t1 -c$CONNS instead of a scalelab build.
A=$1
B=$2
[ "$A" = wrk ] || A=$(realpath "$A")
[ "$B" = wrk ] || B=$(realpath "$B")
cd "$(dirname "$0")/.."
ROOT=$PWD
URL=http://127.0.0.1:$PORT/
RUNDIR=/tmp/bench-nginx

# shellcheck source=bench/nginx.sh
. "$ROOT/bench/nginx.sh"

# one_wrk runs wrk once (closed loop, CONNS connections) and prints the same
# columns, with 0 for dropped and late.
one_wrk() {
	local out times
	times=$(mktemp)
	out=$(/usr/bin/time -f '%U %S' -o "$times" taskset -c "$GEN_CPU" wrk -t1 -c"$CONNS" -d"$DURATION" --latency "$URL" 2>&1) ||
		die "wrk failed: $out"
	awk -v t="$(awk '{print $1 + $2}' "$times")" '
		/ requests in / { n = $1 }
		/^Requests\/sec:/ { rps = $2 }
		/^ +99%/ { p = $2; if (p ~ /us$/) { sub(/us$/, "", p); p /= 1000 } else if (p ~ /ms$/) { sub(/ms$/, "", p) } else if (p ~ /s$/) { sub(/s$/, "", p); p *= 1000 } }
		END { printf "%s 0 0 %s %.2f\n", rps, p, t / n * 1e6 }' <<<"$out"
	rm -f "$times"
}

# one runs binary $1 once and prints "rps dropped late p99 cpu", cpu being
# the generator's user+system CPU microseconds per request: less disturbed
# than rps by other work on a shared machine.
one() {
	[ "$1" = wrk ] && { one_wrk; return; }
	local out times
	times=$(mktemp)
	# shellcheck disable=SC2086 # FLAGS holds several flags
	out=$(/usr/bin/time -f '%U %S' -o "$times" taskset -c "$GEN_CPU" "$1" load "$URL" $FLAGS --duration "$DURATION" --json 2>/dev/null) ||
		die "$1 load failed"
	jq -r --argjson cpu "$(awk '{print $1 + $2}' "$times")" \
		'"\(.rps) \(.dropped) \(.late) \(.latency_ms.p99) \($cpu / .requests * 1e6 * 100 | round / 100)"' <<<"$out"
	rm -f "$times"
}

# med prints the median of column $1 of stdin.
med() {
	awk -v c="$1" '{print $c}' | sort -g | awk '{v[NR]=$1} END { if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2 }'
}

main() {
	install_tools
	for x in "$A" "$B"; do
		[ "$x" = wrk ] || [ -x "$x" ] || die "$x: not an executable"
	done
	lock_bench
	trap stop_nginx EXIT
	trap 'exit 130' INT TERM
	start_nginx
	echo "A=$A B=$B flags: $FLAGS, $ROUNDS rounds of $DURATION, load $(cut -d' ' -f1-3 /proc/loadavg)"
	local ra=() rb=() i
	for i in $(seq "$ROUNDS"); do
		if [ $((i % 2)) -eq 1 ]; then
			wait_quiet; ra+=("$(one "$A")")
			wait_quiet; rb+=("$(one "$B")")
		else
			wait_quiet; rb+=("$(one "$B")")
			wait_quiet; ra+=("$(one "$A")")
		fi
		printf '  round %d: A %-44s B %s\n' "$i" "${ra[-1]}" "${rb[-1]}"
	done
	local ma mb
	ma=$(printf '%s\n' "${ra[@]}" | med 1)
	mb=$(printf '%s\n' "${rb[@]}" | med 1)
	local ca cb
	ca=$(printf '%s\n' "${ra[@]}" | med 5)
	cb=$(printf '%s\n' "${rb[@]}" | med 5)
	echo "medians:"
	printf '%-3s %12s %10s %10s %10s %12s\n' "" "rps" "dropped" "late" "p99 ms" "cpu µs/req"
	printf '%-3s %12.0f %10s %10s %10s %12s\n' A "$ma" "$(printf '%s\n' "${ra[@]}" | med 2)" \
		"$(printf '%s\n' "${ra[@]}" | med 3)" "$(printf '%s\n' "${ra[@]}" | med 4)" "$ca"
	printf '%-3s %12.0f %10s %10s %10s %12s\n' B "$mb" "$(printf '%s\n' "${rb[@]}" | med 2)" \
		"$(printf '%s\n' "${rb[@]}" | med 3)" "$(printf '%s\n' "${rb[@]}" | med 4)" "$cb"
	awk -v a="$ma" -v b="$mb" -v x="$ca" -v y="$cb" 'BEGIN {
		printf "B/A rps: %.3f (%+.1f%%)   B/A cpu per request: %.3f (%+.1f%%)\n", b / a, (b / a - 1) * 100, y / x, (y / x - 1) * 100 }'
}

main "$@"
