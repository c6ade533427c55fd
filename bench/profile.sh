#!/usr/bin/env bash
# Profile the load generator alone against the reference nginx (issue 3,
# "Speed"): nginx pinned to core 1, the engine's Go benchmarks pinned to
# core 0 with SCALELAB_BENCH_URL pointing at nginx, CPU profiles written to
# bench/out/profile-latest/, and the CPU each generator spends per request
# (user and system time from /usr/bin/time) next to wrk's.
#
# Settings through the environment:
#   BENCH='EngineClosed|EngineOpen' BENCHTIME=5x OPEN_RATE=50000 DURATION=10s
#   GEN_CPU=0 SRV_CPU=1 PORT=18080
set -euo pipefail

BENCH=${BENCH:-EngineClosed|EngineOpen}
BENCHTIME=${BENCHTIME:-5x}
OPEN_RATE=${OPEN_RATE:-50000}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
GEN_CPU=${GEN_CPU:-0}
SRV_CPU=${SRV_CPU:-1}
PORT=${PORT:-18080}

cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/bin/scalelab
URL=http://127.0.0.1:$PORT/
RUNDIR=/tmp/bench-nginx

# shellcheck source=bench/nginx.sh
. "$ROOT/bench/nginx.sh"

# cpu_per_request runs a command pinned to the generator core under
# /usr/bin/time and prints "user_s sys_s" into $1.times, output into $1.
timed() {
	local out=$1
	shift
	/usr/bin/time -f '%U %S' -o "$out.times" taskset -c "$GEN_CPU" "$@" >"$out" 2>"$out.log" ||
		die "$1 failed: $(tail -3 "$out.log")"
}

# per_request prints microseconds of user, system and total CPU per request.
per_request() {
	awk -v n="$2" '{ printf "%6.2f %6.2f %6.2f", $1/n*1e6, $2/n*1e6, ($1+$2)/n*1e6 }' "$1"
}

main() {
	install_tools
	command -v go >/dev/null 2>&1 || die "go not found"
	local stamp outdir
	stamp=$(date +%Y%m%d-%H%M%S)
	outdir=$ROOT/bench/out/profile-$stamp
	mkdir -p "$outdir"
	ln -sfn "profile-$stamp" "$ROOT/bench/out/profile-latest"
	go build -o "$BIN" . || die "go build failed"
	go test -vet=off -c -o "$outdir/engine.test" ./engine || die "building the engine benchmarks failed"

	lock_bench
	trap stop_nginx EXIT
	trap 'exit 130' INT TERM
	start_nginx

	echo "== CPU per request on core $GEN_CPU, closed loop c$CONNS for $DURATION =="
	timed "$outdir/wrk.txt" wrk -t1 -c"$CONNS" -d"$DURATION" "$URL"
	local wn sn
	wn=$(awk '/ requests in / {print $1}' "$outdir/wrk.txt")
	timed "$outdir/scalelab.json" "$BIN" load "$URL" --concurrency "$CONNS" --duration "$DURATION" --json --no-record
	sn=$(jq '.requests' "$outdir/scalelab.json")
	[ -n "$wn" ] && [ -n "$sn" ] || die "could not read request counts"
	printf '%-10s %10s %10s %8s %8s %8s\n' generator requests rps "user µs" "sys µs" "cpu µs"
	printf '%-10s %10d %10.0f %s\n' wrk "$wn" "$(awk '/^Requests\/sec:/ {print $2}' "$outdir/wrk.txt")" \
		"$(per_request "$outdir/wrk.txt.times" "$wn" | awk '{printf "%8s %8s %8s", $1, $2, $3}')"
	printf '%-10s %10d %10.0f %s\n' scalelab "$sn" "$(jq '.rps' "$outdir/scalelab.json")" \
		"$(per_request "$outdir/scalelab.json.times" "$sn" | awk '{printf "%8s %8s %8s", $1, $2, $3}')"

	echo "== engine benchmarks on core $GEN_CPU against nginx: $BENCH =="
	local b
	for b in ${BENCH//|/ }; do
		SCALELAB_BENCH_URL=$URL SCALELAB_BENCH_RATE=$OPEN_RATE taskset -c "$GEN_CPU" \
			"$outdir/engine.test" -test.run '^$' -test.bench "^Benchmark$b\$" -test.benchtime "$BENCHTIME" \
			-test.cpuprofile "$outdir/$b.cpu.prof" -test.benchmem | grep -E '^Benchmark' || die "benchmark $b failed"
		echo "-- $b: top by cumulative CPU (engine and fasthttp) --"
		go tool pprof -top -cum -nodecount=60 "$outdir/engine.test" "$outdir/$b.cpu.prof" 2>/dev/null |
			grep -E 'scalelab|fasthttp|runtime\.(gcBgMarkWorker|mallocgc|schedule|findRunnable|netpoll)|syscall' | head -30 |
			tee "$outdir/$b.top.txt"
	done
	echo "profiles: $outdir (go tool pprof -http=: $outdir/engine.test $outdir/<bench>.cpu.prof)"
}

main "$@"
