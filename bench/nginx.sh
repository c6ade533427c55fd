# Shared by bench/peers.sh and bench/profile.sh: install the tools, start
# and stop the reference nginx. Source it with ROOT, URL, RUNDIR and SRV_CPU
# set.

die() {
	echo "bench: $*" >&2
	exit 1
}

# install adds the Debian packages for the commands that are missing.
install_tools() {
	local need=()
	command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
	command -v wrk >/dev/null 2>&1 || need+=(wrk)
	command -v taskset >/dev/null 2>&1 || need+=(util-linux)
	command -v jq >/dev/null 2>&1 || need+=(jq)
	command -v curl >/dev/null 2>&1 || need+=(curl)
	[ -x /usr/bin/time ] || need+=(time)
	[ ${#need[@]} -eq 0 ] && return 0
	echo "bench: installing ${need[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || die "apt-get update failed"
	apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || die "apt-get install ${need[*]} failed"
}

# nginx_conf finds the shared reference config, or the copy kept in bench/.
nginx_conf() {
	if [ -f "$ROOT/../shared/bench/nginx.conf" ]; then
		(cd "$ROOT/../shared/bench" && echo "$PWD/nginx.conf")
	elif [ -f "$ROOT/bench/nginx.conf" ]; then
		echo "$ROOT/bench/nginx.conf"
	else
		die "no nginx.conf in ../shared/bench or bench/"
	fi
}

NGINX_PID=
stop_nginx() {
	if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
		kill -TERM "$NGINX_PID" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$NGINX_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$NGINX_PID" 2>/dev/null || true
		wait "$NGINX_PID" 2>/dev/null || true
	fi
	NGINX_PID=
}

start_nginx() {
	local conf
	conf=$(nginx_conf)
	mkdir -p "$RUNDIR"
	if [ "$PORT" != 18080 ]; then
		# Another port (when someone else's nginx holds 18080): the same
		# config, with its own port, pid file and log.
		local dir=$RUNDIR/port-$PORT
		mkdir -p "$dir"
		sed -e "s/127\.0\.0\.1:18080/127.0.0.1:$PORT/" -e "s#/tmp/bench-nginx/#$dir/#g" "$conf" >"$dir/nginx.conf"
		grep -q "127.0.0.1:$PORT" "$dir/nginx.conf" || die "could not move $conf to port $PORT"
		conf=$dir/nginx.conf
	fi
	if curl -s -o /dev/null --max-time 1 "$URL"; then
		die "something already answers on $URL; stop it first, or use another PORT=18081"
	fi
	local nginx
	nginx=$(command -v nginx || echo /usr/sbin/nginx)
	# daemon off in the config: the master stays in the foreground, so $! is
	# its pid (taskset execs it).
	taskset -c "$SRV_CPU" "$nginx" -c "$conf" -e "$RUNDIR/error.log" &
	NGINX_PID=$!
	for _ in $(seq 50); do
		if curl -s -o /dev/null --max-time 1 "$URL"; then
			echo "nginx: $conf, pid $NGINX_PID, core $SRV_CPU"
			return 0
		fi
		kill -0 "$NGINX_PID" 2>/dev/null || break
		sleep 0.1
	done
	tail -5 "$RUNDIR/error.log" >&2 2>/dev/null || true
	die "nginx did not come up on $URL"
}

# lock_bench takes the machine-wide bench lock on fd 9: two benches at once
# would share the cores.
lock_bench() {
	mkdir -p "$RUNDIR"
	exec 9>"$RUNDIR/lock"
	flock -w 900 9 || die "another bench run holds $RUNDIR/lock"
}

# busy_pct prints how busy the whole machine was over the last half second,
# in percent (nginx idles between rounds, so this is other people's work).
busy_pct() {
	local a b
	a=$(awk '/^cpu / {print $2+$3+$4+$7+$8, $5+$6}' /proc/stat)
	sleep 0.5
	b=$(awk '/^cpu / {print $2+$3+$4+$7+$8, $5+$6}' /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ");
		busy = y[1] - x[1]; idle = y[2] - x[2]; printf "%d", (busy + idle > 0) ? 100 * busy / (busy + idle) : 0 }'
}

# wait_quiet waits up to QUIET_WAIT seconds (default 120) for the machine to
# be under QUIET_PCT percent busy (default 10), so a round does not share the
# cores with someone else's build or tests; it goes on with a warning after.
wait_quiet() {
	local limit=${QUIET_WAIT:-120} pct=${QUIET_PCT:-10} waited=0 busy
	while busy=$(busy_pct) && [ "$busy" -gt "$pct" ]; do
		if [ "$waited" -ge "$limit" ]; then
			echo "bench: warning: machine still ${busy}% busy after ${limit}s; measuring anyway" >&2
			return 0
		fi
		sleep 1
		waited=$((waited + 2))
	done
}
