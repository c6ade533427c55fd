#!/usr/bin/env bash
# Does drawing the terminal UI cost throughput? (issue 5, "Behaviour")
#
# scalelab run against nginx on loopback, closed loop (the generator's core
# saturated, so any CPU the UI takes shows as lost throughput): the same run
# headless (--headless) and with the UI drawing into a real terminal (a
# 120x40 tmux pane), alternating rounds (ABBA), medians compared. Goal: UI >= 0.97x
# headless. scalelab is pinned to core GEN_CPU; nginx and the tmux server to
# SRV_CPU, as a terminal emulator would run elsewhere.
#
# Run from the repo root after `make build` (or via `make bench-ui`).
# Settings through the environment:
#   ROUNDS=6 DURATION=10s CONNS=64 GEN_CPU=0 SRV_CPU=1 PORT=18091
# Exit status: 0 when the harness ran (a missed goal is printed as MISSED),
# 1 when it could not run.
set -euo pipefail

ROUNDS=${ROUNDS:-6}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
GEN_CPU=${GEN_CPU:-0}
SRV_CPU=${SRV_CPU:-1}
PORT=${PORT:-18091}

cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/bin/scalelab
URL=http://127.0.0.1:$PORT/
RUNDIR=/tmp/bench-ui
LOCKDIR=/tmp/bench-nginx # shared with bench/peers.sh: one bench at a time
TMUX_SOCK=$RUNDIR/tmux.sock

die() {
	echo "bench-ui: $*" >&2
	exit 1
}

install_tools() {
	local need=()
	command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
	command -v tmux >/dev/null 2>&1 || need+=(tmux)
	command -v taskset >/dev/null 2>&1 || need+=(util-linux)
	command -v jq >/dev/null 2>&1 || need+=(jq)
	command -v curl >/dev/null 2>&1 || need+=(curl)
	[ ${#need[@]} -eq 0 ] && return 0
	echo "bench-ui: installing ${need[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || die "apt-get update failed"
	apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || die "apt-get install ${need[*]} failed"
}

NGINX_PID=
start_nginx() {
	mkdir -p "$RUNDIR"
	cat >"$RUNDIR/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $RUNDIR/nginx.pid;
error_log $RUNDIR/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  server {
    listen 127.0.0.1:$PORT backlog=4096;
    location / { return 200 "hello\n"; }
  }
}
CONF
	if curl -s -o /dev/null --max-time 1 "$URL"; then
		die "something already answers on $URL; stop it first"
	fi
	local nginx
	nginx=$(command -v nginx || echo /usr/sbin/nginx)
	taskset -c "$SRV_CPU" "$nginx" -c "$RUNDIR/nginx.conf" -e "$RUNDIR/error.log" &
	NGINX_PID=$!
	for _ in $(seq 50); do
		curl -s -o /dev/null --max-time 1 "$URL" && return 0
		kill -0 "$NGINX_PID" 2>/dev/null || break
		sleep 0.1
	done
	die "nginx did not come up on $URL"
}

cleanup() {
	tmux -S "$TMUX_SOCK" kill-server 2>/dev/null || true
	if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
		kill -TERM "$NGINX_PID" 2>/dev/null || true
		wait "$NGINX_PID" 2>/dev/null || true
	fi
}

median() {
	printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR+1)/2]; else printf "%.2f\n", (v[NR/2]+v[NR/2+1])/2 }'
}

# run_headless runs one headless round and prints its requests/second.
run_headless() {
	local out=$1
	taskset -c "$GEN_CPU" "$BIN" run "$URL" --concurrency "$CONNS" --duration "$DURATION" --no-record \
		--headless --json >"$out" 2>"$out.log" || die "headless run failed: $(tail -3 "$out.log")"
	jq -e '.rps' "$out" 2>/dev/null || die "no rps in $out"
}

# run_ui runs one round with the UI in a 120x40 tmux pane (the UI quits by
# itself when the run ends), keeps a capture of the screen half-way, and
# prints its requests/second.
run_ui() {
	local out=$1 secs
	secs=$(awk -v d="$DURATION" 'BEGIN { sub(/s$/, "", d); print d + 0 }')
	rm -f "$out"
	taskset -c "$SRV_CPU" tmux -S "$TMUX_SOCK" -f /dev/null new-session -d -s ui -x 120 -y 40 \
		"taskset -c $GEN_CPU $BIN run $URL --concurrency $CONNS --duration $DURATION --no-record --json >$out; tmux -S $TMUX_SOCK wait-for -S ui-done; sleep 30"
	sleep "$(awk -v s="$secs" 'BEGIN { print s / 2 }')"
	tmux -S "$TMUX_SOCK" capture-pane -p -t ui >"$out.screen" 2>/dev/null || true
	timeout $((secs * 3 + 30)) tmux -S "$TMUX_SOCK" wait-for ui-done || die "the UI run did not end"
	tmux -S "$TMUX_SOCK" kill-server 2>/dev/null || true
	grep -q "Throughput" "$out.screen" || die "the UI did not draw (screen in $out.screen)"
	jq -e '.rps' "$out" 2>/dev/null || die "no rps in $out (screen in $out.screen)"
}

verdict() {
	if awk "BEGIN { exit !($1) }"; then echo OK; else echo MISSED; fi
}

main() {
	install_tools
	[ -x "$BIN" ] || die "$BIN missing: run make build first"
	[ "$(nproc)" -ge 2 ] || echo "bench-ui: warning: fewer than 2 cores, generator and nginx share one" >&2
	local stamp outdir
	stamp=$(date +%Y%m%d-%H%M%S)
	outdir=$ROOT/bench/out/ui-$stamp
	mkdir -p "$outdir" "$LOCKDIR"
	ln -sfn "ui-$stamp" "$ROOT/bench/out/ui-latest"
	exec 9>"$LOCKDIR/lock"
	flock -w 900 9 || die "another bench run holds $LOCKDIR/lock"
	trap cleanup EXIT
	start_nginx

	echo "bench-ui: scalelab run $URL --concurrency $CONNS --duration $DURATION, $ROUNDS rounds each, alternating"
	local h=() u=() rh ru
	for i in $(seq "$ROUNDS"); do
		# ABBA: alternate which goes first, so a drift in the machine's load
		# does not favour one side.
		if [ $((i % 2)) -eq 1 ]; then
			rh=$(run_headless "$outdir/headless-$i.json")
			ru=$(run_ui "$outdir/ui-$i.json")
		else
			ru=$(run_ui "$outdir/ui-$i.json")
			rh=$(run_headless "$outdir/headless-$i.json")
		fi
		h+=("$rh")
		u+=("$ru")
		printf '  round %d: headless %.0f req/s, UI %.0f req/s\n' "$i" "$rh" "$ru"
	done
	local mh mu ratio pairs=() paired
	mh=$(median "${h[@]}")
	mu=$(median "${u[@]}")
	ratio=$(awk -v u="$mu" -v h="$mh" 'BEGIN { printf "%.3f", u / h }')
	# Each round's own ratio cancels slow changes in the machine's load;
	# their median is printed beside the ratio of the medians.
	for i in "${!h[@]}"; do
		pairs+=("$(awk -v u="${u[$i]}" -v h="${h[$i]}" 'BEGIN { printf "%.3f", u / h }')")
	done
	paired=$(median "${pairs[@]}")
	{
		echo "headless median: $mh req/s"
		echo "UI median:       $mu req/s"
		echo "UI/headless throughput ratio: $ratio (goal >= 0.97): $(verdict "$ratio >= 0.97")"
		echo "median of the rounds' own ratios: $paired"
	} | tee "$outdir/summary.txt"
	echo "screen captures: $outdir/ui-*.json.screen"
}

main "$@"
