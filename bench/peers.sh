#!/usr/bin/env bash
# Compare scalelab with wrk against nginx on loopback (issue 3, "Speed").
#
# nginx (one worker, `return 200`, keep-alive) runs pinned to core 1 and the
# load generator to core 0. Closed loop: wrk -t1 -c64 and scalelab
# --concurrency 64, alternating rounds, medians compared (target: scalelab
# >= 0.95x wrk). Open loop: scalelab --rate 50000 on one core (target:
# achieved within 1% of the rate, nothing dropped).
#
# Run from the repo root after `make build` (or via `make bench-peers`).
# Settings through the environment:
#   ROUNDS=5 DURATION=10s CONNS=64 OPEN_RATE=50000 OPEN_ROUNDS=3
#   GEN_CPU=0 SRV_CPU=1 PORT=18080 (another port when 18080 is taken)
#   SCALELAB_BIN=bin/scalelab (another build to measure)
#   QUIET_WAIT=120 QUIET_PCT=10: before each round, wait up to QUIET_WAIT s
#   for the machine to be under QUIET_PCT % busy
# Exit status: 0 when the harness ran (missed targets are printed as MISSED),
# 1 when it could not run (tools missing, nginx not up, unreadable output).
set -euo pipefail

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
OPEN_RATE=${OPEN_RATE:-50000}
OPEN_ROUNDS=${OPEN_ROUNDS:-3}
GEN_CPU=${GEN_CPU:-0}
SRV_CPU=${SRV_CPU:-1}
PORT=${PORT:-18080}

cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${SCALELAB_BIN:-$ROOT/bin/scalelab}
URL=http://127.0.0.1:$PORT/
RUNDIR=/tmp/bench-nginx

# shellcheck source=bench/nginx.sh
. "$ROOT/bench/nginx.sh"

# median prints the median of its numeric arguments.
median() {
	printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR+1)/2]; else printf "%.2f\n", (v[NR/2]+v[NR/2+1])/2 }'
}

# run_wrk runs one wrk round and prints "rps cpu", cpu being wrk's user +
# system CPU microseconds per request.
run_wrk() {
	local out=$1
	/usr/bin/time -f '%U %S' -o "$out.time" taskset -c "$GEN_CPU" wrk -t1 -c"$CONNS" -d"$DURATION" "$URL" >"$out" 2>&1 ||
		die "wrk failed: $(tail -3 "$out")"
	local rps n
	rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
	n=$(awk '/ requests in / {print $1}' "$out")
	[ -n "$rps" ] && [ -n "$n" ] || die "no Requests/sec in $out"
	echo "$rps $(cpu_per_request "$out.time" "$n")"
}

# run_scalelab runs one scalelab round with the given model flags, keeping
# the JSON summary in $out, and prints "rps cpu" like run_wrk.
run_scalelab() {
	local out=$1
	shift
	/usr/bin/time -f '%U %S' -o "$out.time" taskset -c "$GEN_CPU" "$BIN" load "$URL" "$@" --duration "$DURATION" --json --no-record >"$out" 2>"$out.log" ||
		die "scalelab load failed: $(tail -3 "$out.log")"
	local rps n
	rps=$(jq -e '.rps' "$out" 2>/dev/null) || die "no rps in $out"
	n=$(jq -e '.requests' "$out")
	echo "$rps $(cpu_per_request "$out.time" "$n")"
}

# cpu_per_request prints the user + system CPU microseconds per request from
# a /usr/bin/time '%U %S' file and a request count.
cpu_per_request() {
	awk -v n="$2" '{ printf "%.2f", (n > 0) ? ($1 + $2) / n * 1e6 : 0 }' "$1"
}

# verdict prints OK or MISSED for a condition given to awk.
verdict() {
	if awk "BEGIN { exit !($1) }"; then echo OK; else echo MISSED; fi
}

main() {
	install_tools
	[ -x "$BIN" ] || die "$BIN missing: run make build first"
	[ "$(nproc)" -ge 2 ] || echo "bench-peers: warning: fewer than 2 cores, generator and nginx share one" >&2

	local stamp outdir
	stamp=$(date +%Y%m%d-%H%M%S)
	outdir=$ROOT/bench/out/peers-$stamp
	mkdir -p "$outdir"
	ln -sfn "peers-$stamp" "$ROOT/bench/out/peers-latest"

	lock_bench

	trap stop_nginx EXIT
	trap 'exit 130' INT TERM
	start_nginx

	local load_before
	load_before=$(cut -d' ' -f1-3 /proc/loadavg)
	echo "$("$BIN" version 2>/dev/null | head -1), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), $(nproc) cores, load $load_before"
	echo "closed loop: $ROUNDS alternating rounds of $DURATION, $CONNS connections, generator on core $GEN_CPU"

	local wrk_rps=() sl_rps=() wrk_cpu=() sl_cpu=() i r
	for i in $(seq "$ROUNDS"); do
		# Alternate which goes first so drift in the machine hits both.
		if [ $((i % 2)) -eq 1 ]; then
			wait_quiet
			r=$(run_wrk "$outdir/closed-wrk-$i.txt"); wrk_rps+=("${r% *}"); wrk_cpu+=("${r#* }")
			wait_quiet
			r=$(run_scalelab "$outdir/closed-scalelab-$i.json" --concurrency "$CONNS"); sl_rps+=("${r% *}"); sl_cpu+=("${r#* }")
		else
			wait_quiet
			r=$(run_scalelab "$outdir/closed-scalelab-$i.json" --concurrency "$CONNS"); sl_rps+=("${r% *}"); sl_cpu+=("${r#* }")
			wait_quiet
			r=$(run_wrk "$outdir/closed-wrk-$i.txt"); wrk_rps+=("${r% *}"); wrk_cpu+=("${r#* }")
		fi
		printf '  round %d: wrk %10.0f rps %6.2f µs cpu/req   scalelab %10.0f rps %6.2f µs cpu/req\n' \
			"$i" "${wrk_rps[-1]}" "${wrk_cpu[-1]}" "${sl_rps[-1]}" "${sl_cpu[-1]}"
	done

	echo "open loop: $OPEN_ROUNDS rounds at $OPEN_RATE rps for $DURATION, generator on core $GEN_CPU"
	local open_rps=() open_cpu=() open_drop=() open_late=() open_p99=() open_svc99=() open_err=() f
	for i in $(seq "$OPEN_ROUNDS"); do
		f=$outdir/open-scalelab-$i.json
		wait_quiet
		r=$(run_scalelab "$f" --rate "$OPEN_RATE")
		open_rps+=("${r% *}")
		open_cpu+=("${r#* }")
		open_drop+=("$(jq '.dropped' "$f")")
		open_late+=("$(jq '.late' "$f")")
		open_p99+=("$(jq '.latency_ms.p99' "$f")")
		open_svc99+=("$(jq '.service_ms.p99' "$f")")
		open_err+=("$(jq '([.errors[]] | add // 0) + ([.status | to_entries[] | select(.key != "200") | .value] | add // 0)' "$f")")
		printf '  round %d: %10.1f rps  dropped %d  late %d  not-200 %d  p99 %s ms  service p99 %s ms  %s µs cpu/req\n' \
			"$i" "${open_rps[-1]}" "${open_drop[-1]}" "${open_late[-1]}" "${open_err[-1]}" "${open_p99[-1]}" "${open_svc99[-1]}" "${open_cpu[-1]}"
	done

	local wm sm wc sc oc ratio om od ol op os dev
	wm=$(median "${wrk_rps[@]}")
	sm=$(median "${sl_rps[@]}")
	wc=$(median "${wrk_cpu[@]}")
	sc=$(median "${sl_cpu[@]}")
	oc=$(median "${open_cpu[@]}")
	ratio=$(awk -v s="$sm" -v w="$wm" 'BEGIN { printf "%.3f", s / w }')
	om=$(median "${open_rps[@]}")
	od=$(printf '%s\n' "${open_drop[@]}" | sort -g | tail -1)
	ol=$(median "${open_late[@]}")
	op=$(median "${open_p99[@]}")
	os=$(median "${open_svc99[@]}")
	dev=$(awk -v a="$om" -v t="$OPEN_RATE" 'BEGIN { d = (a - t) / t * 100; printf "%+.2f", d }')

	{
		echo
		echo "== scalelab vs wrk, nginx on core $SRV_CPU, generator on core $GEN_CPU (load before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)) =="
		printf '%-40s %14s %14s %8s\n' "measure" "value" "target" "verdict"
		printf '%-40s %14.0f %14s %8s\n' "closed c$CONNS: wrk rps (median of $ROUNDS)" "$wm" "" ""
		printf '%-40s %14.0f %14s %8s\n' "closed c$CONNS: scalelab rps (median)" "$sm" "" ""
		printf '%-40s %14s %14s %8s\n' "closed c$CONNS: ratio scalelab/wrk" "$ratio" ">= 0.95" "$(verdict "$ratio >= 0.95")"
		printf '%-40s %14s %14s %8s\n' "closed c$CONNS: wrk cpu µs/request" "$wc" "" ""
		printf '%-40s %14s %14s %8s\n' "closed c$CONNS: scalelab cpu µs/request" "$sc" "" ""
		printf '%-40s %14.1f %14s %8s\n' "open $OPEN_RATE: achieved rps (median)" "$om" "$OPEN_RATE ±1%" "$(verdict "$dev <= 1 && $dev >= -1")"
		printf '%-40s %14s %14s %8s\n' "open $OPEN_RATE: deviation %" "$dev" "" ""
		printf '%-40s %14s %14s %8s\n' "open $OPEN_RATE: dropped (worst round)" "$od" "0" "$(verdict "$od == 0")"
		printf '%-40s %14s %14s %8s\n' "open $OPEN_RATE: late (median)" "$ol" "" ""
		printf '%-40s %14s %14s %8s\n' "open $OPEN_RATE: latency p99 ms (median)" "$op" "" ""
		printf '%-40s %14s %14s %8s\n' "open $OPEN_RATE: service p99 ms (median)" "$os" "" ""
		printf '%-40s %14s %14s %8s\n' "open $OPEN_RATE: cpu µs/request (median)" "$oc" "" ""
		echo "raw output: $outdir"
	} | tee "$outdir/summary.txt"

	jq -n --argjson wrk "[$(IFS=,; echo "${wrk_rps[*]}")]" \
		--argjson scalelab "[$(IFS=,; echo "${sl_rps[*]}")]" \
		--argjson open_rps "[$(IFS=,; echo "${open_rps[*]}")]" \
		--argjson open_dropped "[$(IFS=,; echo "${open_drop[*]}")]" \
		--argjson open_late "[$(IFS=,; echo "${open_late[*]}")]" \
		--argjson open_p99 "[$(IFS=,; echo "${open_p99[*]}")]" \
		--argjson wrk_cpu "[$(IFS=,; echo "${wrk_cpu[*]}")]" \
		--argjson scalelab_cpu "[$(IFS=,; echo "${sl_cpu[*]}")]" \
		--argjson open_cpu "[$(IFS=,; echo "${open_cpu[*]}")]" \
		--argjson ratio "$ratio" --argjson open_rate "$OPEN_RATE" --arg duration "$DURATION" \
		--argjson conns "$CONNS" \
		'{duration: $duration, closed: {connections: $conns, wrk_rps: $wrk, scalelab_rps: $scalelab, ratio_of_medians: $ratio,
		    wrk_cpu_us_per_request: $wrk_cpu, scalelab_cpu_us_per_request: $scalelab_cpu},
		  open: {rate: $open_rate, rps: $open_rps, dropped: $open_dropped, late: $open_late, latency_p99_ms: $open_p99, cpu_us_per_request: $open_cpu}}' \
		>"$outdir/summary.json" || die "writing summary.json failed"
}

main "$@"
