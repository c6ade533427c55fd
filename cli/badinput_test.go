package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine/enginetest"
)

// loadBad lists, for each load flag (of load, run and demo), bad values of
// each kind: NaN, Inf, huge, zero, negative, empty, control characters,
// unicode. A kind is left out where every value of it is a good one
// (unicode in a header's value is sent as UTF-8; an empty --body is no
// body). Keep it growing.
var loadBad = map[string][]string{
	"rate": {"NaN", "-NaN", "Inf", "-Inf", "1e308", "1e309", "1e12", "10000001", "0", "-0", "-1", "-1e-9", "",
		"1\x01", "\x00", "１００", "1e3\u200b"},
	"concurrency": {"NaN", "Inf", "100000000", "100001", "9223372036854775808", "0", "-1", "", "1\x01", "１", "1e3"},
	"stages": {"", " ", ",", "1s:NaN", "1s:Inf", "1s:-Inf", "1s:1e309", "1s:1e12", "1s:10000001", "NaNs:10", "Infs:10",
		"0s:10", "-1s:10", "1s:-1", "1s:0", "1s:0,2s:0", "2562047h:1,2562047h:1", "1s:", ":10", "1s", "1s:10,", "1s:10,,2s:5",
		"1s:1\x01", "1s:\x1b[2J", "1\x00s:1", "1s:１", "１s:1", "1s:10\u200b"},
	"duration":     {"NaN", "Inf", "1e309s", "2562048h", "0", "0s", "-1s", "", "1s\x01", "１s", "1秒"},
	"timeout":      {"NaN", "Inf", "1e309s", "2562047h", "10m1s", "0", "-1s", "", "1s\x01", "１s"},
	"max-inflight": {"NaN", "Inf", "9223372036854775807", "9223372036854775808", "4294967296", "1000000000", "1000001", "0", "-1", "", "1\x01", "１"},
	"header": {"Content-Length: 5", "content-length: 0", "CONTENT-LENGTH:1e309", "Transfer-Encoding: chunked",
		"X: a\x01b", "X: a\rb", "X: a\nb", "X: a\r\nY: b", "X: \x1b[2J", "X: a\x7f", "X: a\x00", "X: \u0085", "X: \xff",
		"X\x01: b", "X Y: b", "é: b", "X\u200b: b", "(X): b", "", ":", ": b", "X", "Host:", "Host: \t"},
	"method":       {"GE T", "", " ", "G\x01T", "G\r\nT", "G\x00", "GÉT", "G\u200bT", "G:T", "GET/"},
	"body-file":    {"/nonexistent/body", "/dev/zero", "/", "body\x00"},
	"no-keepalive": {"NaN", "2", "-1", "", "yes\x01", "ja"},
	"json":         {"NaN", "Inf", "2", "-1", "", "tru\u0435"},
	"record":       {"\x00"},
	"threshold": {"", " ", "latency", "latency p(99)<200", ": p(99)<200", "nope: p(99)<200", "latency: ", "latency: p(99)<",
		"latency: rate>0.5", "latency: p(99)<NaN", "latency: p(99)<Inf", "latency: p(99)<1e309", "latency: p(101)<200",
		"latency: p(99)<200\x01", "latency: p(99)<２００", "latency{version:v2: p(99)<200", "latency{colour:red}: p(99)<200",
		"latency: p(99)<200, abortOnFal", "latency: p(99)<200, delayAbortEval=5s", "latency: p(99)<200, abortOnFail, delayAbortEval=-1s",
		"latency: p(99)<200, abortOnFail, delayAbortEval=NaN", "latency: p(99)<200, abortOnFail=true", "latency: p(99)<200,"},
	"retries":      {"NaN", "Inf", "11", "9223372036854775808", "-1", "", "1\x01", "２", "1e1"},
	"retry-on":     {"", " ", ",", "5xx,", "200", "600", "499x", "bogus", "5xx\x01", "５xx", "NaN", "reset\u200b"},
	"retry-budget": {"", "0%", "-1%", "1001%", "NaN%", "Inf%", "20", "20%%", " 20%", "2\x010%", "２０%", "1e309%"},
	"junit":        {"", "/", "/nonexistent/junit.xml", "junit\x00.xml"},
	"metrics-listen": {"0.0.0.0:9464", ":9464", "192.168.1.10:9464", "[::]:9464", "example.com:9464", "127.0.0.1", "127.0.0.1:",
		"127.0.0.1:http", "127.0.0.1:70000", "127.0.0.1:-1", "127.0.0.1:1\x01", "1\x01.0.0.1:1", "１２７.0.0.1:1", " ", "NaN"},
	"metrics-listen-any": {"true", "NaN", "2", ""},
	"scrape":             {"", " ", "127.0.0.1:8080/metrics", "ftp://127.0.0.1/metrics", "http:///metrics", "http://127.0.0.1:1/\x01", "NaN"},
	"scrape-metric":      {"", " ", "process_cpu_seconds_total"},
	"out": {"", "=", "xml=f", "jsonl", "jsonl=", "csv=", "JSONL=f", "jsonl\x01=f", "jsonl=/", "jsonl=/dev/null",
		"jsonl=/nonexistent/f", "jsonl=f\x00", "ｊｓｏｎｌ=f", "NaN=f"},
}

// urlBad are target URLs that cannot be sent to.
var urlBad = []string{
	"http://127.0.0.1:0/", "http://[::1]:0/", "http://127.0.0.1:00/", "http://127.0.0.1:65536/", "http://127.0.0.1:99999999999999999999/",
	"http://127.0.0.1:-1/", "http://127.0.0.1:NaN/", "http://127.0.0.1:Inf/", "", " ", "127.0.0.1:8080", "http:///x", "http://:8080/",
	"ftp://127.0.0.1/", "file:///etc/passwd", "http://127.0.0.1:1/\x01", "http://127.0.0.1\x00:1/", "http://é/", "http://１２７.0.0.1:1/",
	"http://xn--e-ufa\u200b.test/",
}

// demoBad lists, for each flag of demo, bad values of each kind (as
// loadBad).
var demoBad = map[string][]string{
	"replicas":        {"NaN", "Inf", "33", "9223372036854775808", "0", "-1", "", "1\x01", "１"},
	"replica-version": {strings.Repeat("v", 1000), "", "v\x01", "v\r\nX-Evil: 1", "v 2", "vé", "v\u200b"},
	"max-surge":       {"NaN", "Inf", "33", "9223372036854775807", "-1", "", "1\x01", "１"},
	"max-unavailable": {"NaN", "Inf", "33", "9223372036854775807", "-1", "", "1\x01", "１"},
	"drain":           {"NaN", "Inf", "1e308s", "2562047h", "2h", "-1s", "", "1s\x01", "１s"},
	"startup-delay":   {"NaN", "Inf", "1e308s", "2562047h", "2h", "-1s", "", "1s\x01", "１s"},
	"latency":         {"NaN", "Inf", "1e308s", "2562047h", "2h", "-1ms", "", "1ms\x01", "５ms", "1ms..-2ms", "5ms..1ms"},
	"listen": {"garbage", "127.0.0.1:NaN", "127.0.0.1:Inf", "127.0.0.1:99999999999999999999", "127.0.0.1:65536", "0", "127.0.0.1:-1", "",
		"127.0.0.1:80\x00", "127.0.0.1:\x01", "h\x1b[2J:80", "１２７.0.0.1:0", "hé:80", "10.0.0.1:0", "0.0.0.0:0", ":0"},
	"headless":        {"NaN", "2", "-1", "", "tru\u0435"},
	"replica-process": {"NaN", "2", "-1", "", "tru\u0435"},
	"replica-cpu":     {"NaN", "Inf", "-1", "0.001", "1025", "", "1\x01", "１"},
	"cpu-work":        {"NaN", "Inf", "1e308s", "2562047h", "2h", "-1s", "", "1s\x01", "１s"},
}

// stepBad are --step values refused before the run (on the demo's fleet of
// 3 replicas of v1, a window of 5s), one of each kind per argument; the
// experiments package's table feeds each argument every kind.
var stepBad = []string{
	"NaN:scale=2", "Inf:scale=2", "1e309s:scale=2", "-1s:scale=2", ":scale=2", "\x01:scale=2", "１s:scale=2", "5s:scale=2", "2562047h:scale=2",
	"1s:scale=NaN", "1s:scale=Inf", "1s:scale=100000", "1s:scale=9223372036854775808", "1s:scale=-1", "1s:scale=", "1s:scale=2\x01", "1s:scale=５",
	"1s:upgrade=", "1s:upgrade=v\x01", "1s:upgrade=vé", "1s:upgrade=" + strings.Repeat("v", 1000),
	"1s:kill=abc", "1s:kill=NaN%", "1s:kill=Inf", "1s:kill=99", "1s:kill=0", "1s:kill=-1", "1s:kill=", "1s:kill=0%", "1s:kill=101%",
	"1s:kill=\x01", "1s:kill=１",
	"1s:hang=99", "1s:hang=NaN", "1s:hang=0", "1s:hang=", "1s:hang=\x1b[2J", "1s:hang=é",
	"1s:latency=NaN", "1s:latency=Inf", "1s:latency=2562047h", "1s:latency=-1ms", "1s:latency=", "1s:latency=1:1ms\x01", "1s:latency=99:1ms",
	"1s:errors=NaN", "1s:errors=Inf", "1s:errors=1e309", "1s:errors=-1%", "1s:errors=", "1s:errors=0.1\x01", "1s:errors=0.５", "1s:errors=0:10%",
	"1s:bad-version=v1", "1s:bad-version=", "1s:bad-version=v\x01",
	"1s:heal=0", "1s:heal=\x01", "1s:heal=é",
	"1s:rollback", "1s:rollback=1", "1s:restart", "1s:promote",
	"1s:explode", "1s:", "", "\u200b",
}

// k8sBad lists, for each flag of run --k8s that can be judged without a
// cluster, bad values of each kind.
var k8sBad = map[string][]string{
	"k8s":          {"", "deployment/", "pod/demo", "deployment/Demo_X", "deployment/demo\x01", "deployment/démo", "deployment/" + strings.Repeat("d", 300), "NaN"},
	"namespace":    {"Shop", "a b", "a\x01", "é", strings.Repeat("n", 64), "-1"},
	"service":      {"Svc", "a b", "a\x01", "é", strings.Repeat("s", 64)},
	"container":    {"App", "a b", "a\x01", "é", strings.Repeat("c", 64)},
	"context":      {"a\x01", "a\x1b[2J", "a\nb"},
	"max-kill":     {"NaN", "NaN%", "Inf", "Inf%", "1e309%", "9223372036854775808", "0%", "-1", "-5%", "101%", "", "1\x01", "１", "50%%"},
	"min-replicas": {"NaN", "Inf", "2147483648", "9223372036854775808", "-1", "", "1\x01", "１"},
}

// badRow is one command line that must be refused: exit 2, one line on
// stderr naming names, no request sent.
type badRow struct {
	args  []string
	names string
}

// badRows builds the table: each bad value of each flag and step, on each
// command that takes it, with url the loopback server's URL.
func badRows(url, dir string) []badRow {
	var rows []badRow
	add := func(names string, args ...string) { rows = append(rows, badRow{args: args, names: names}) }
	commands := map[string][]string{
		"load":            {"load", url, "--duration", "1s"},
		"run --headless":  {"run", url, "--headless", "--duration", "1s"},
		"run":             {"run", url, "--duration", "1s"},
		"demo":            {"demo", "--headless", "--duration", "1s"},
		"run --k8s":       {"run", "--k8s", "deployment/demo", url, "--headless", "--duration", "1s"},
		"run --k8s --yes": {"run", "--k8s", "deployment/demo", url, "--headless", "--duration", "1s", "--yes"},
	}
	for flag, values := range loadBad {
		for _, cmd := range []string{"load", "run --headless", "run", "demo", "run --k8s"} {
			for _, v := range values {
				args := append([]string{}, commands[cmd]...)
				if flag == "retry-on" || flag == "retry-budget" {
					args = append(args, "--retries", "2") // else refused for wanting it
				}
				if flag == "duration" || flag == "stages" {
					args = args[:len(args)-2] // the window is the flag's
				}
				if flag == "record" {
					v = filepath.Join(dir, v)
				}
				add("--"+flag, append(args, "--"+flag+"="+v)...)
			}
		}
	}
	for _, u := range urlBad {
		add("url ", "load", u, "--duration", "1s")
		add("url ", "run", u, "--headless", "--duration", "1s")
		if u != "" { // no URL: the load balances across the endpoints
			add("url ", "run", "--k8s", "deployment/demo", u, "--headless", "--duration", "1s")
		}
	}
	add("path ", "run", "--k8s", "deployment/demo", "/a b", "--headless")
	add("path ", "run", "--k8s", "deployment/demo", "/\x01", "--headless")
	for flag, values := range demoBad {
		for _, v := range values {
			add("--"+flag, append(append([]string{}, commands["demo"]...), "--"+flag+"="+v)...)
		}
	}
	add("--max-surge", append(append([]string{}, commands["demo"]...), "--max-surge=0", "--max-unavailable=0")...)
	for _, s := range stepBad {
		args := []string{"demo", "--headless", "--duration", "5s", "--replicas", "3", "--step", s}
		add(stepNamed(s), args...)
		if !strings.Contains(s, "upgrade") && !strings.Contains(s, "version") &&
			!strings.Contains(s, "99") && !strings.Contains(s, "=100000") && !strings.Contains(s, "rollback") {
			// kill=replica-999, hang=99 and the like are judged on the
			// cluster: left to the run on Kubernetes.
			add(stepNamed(s), append(append([]string{}, commands["run --k8s --yes"]...), "--step", s)...)
		}
	}
	add(`steps "1s:scale=2" and "1s:scale=4"`, "demo", "--headless", "--duration", "5s", "--step", "1s:scale=2", "--step", "1s:scale=4")
	add(`step "2s:scale=2"`, "demo", "--headless", "--stages", "1s:10,1s:20", "--step", "2s:scale=2")
	add(`step "1s:scale=2"`, append(append([]string{}, commands["run --k8s"]...), "--step", "1s:scale=2")...) // destructive without --yes
	add(`step "1s:pause"`, append(append([]string{}, commands["run --k8s"]...), "--read-only", "--step", "1s:pause")...)
	add("--step", "run", url, "--headless", "--step", "1s:scale=2")
	add("--retry-on", "load", url, "--duration", "1s", "--retry-on", "5xx")
	add("--retry-budget", "load", url, "--duration", "1s", "--retries", "0", "--retry-budget", "5%")
	add("--body and --body-file", "load", url, "--body", "x", "--body-file", os.Args[0])
	add("--record and --no-record", "load", url, "--duration", "1s", "--record", filepath.Join(dir, "r.scalelab"), "--no-record")
	for flag, values := range k8sBad {
		for _, v := range values {
			args := append([]string{}, commands["run --k8s"]...)
			if flag == "k8s" {
				args[2] = v
				add("--k8s", args...)
				continue
			}
			add("--"+flag, append(args, "--"+flag+"="+v)...)
		}
	}
	return rows
}

// stepNamed is how a refusal names step s: quoted, as written.
func stepNamed(s string) string { return fmt.Sprintf("%q", s) }

// TestBadInputIsOneLineExit2BeforeAnyLoad runs each row of the table of bad
// input in-process: each must exit 2 with exactly one line on stderr that
// names the flag, URL or step, and nothing on stdout, before any load
// (the loopback target counts no request) and before a fleet or a cluster
// starts (whose events would be more lines).
func TestBadInputIsOneLineExit2BeforeAnyLoad(t *testing.T) {
	srv := enginetest.NewServer(t)
	dir := t.TempDir()
	// A row that reached the cluster would find none: no kubeconfig.
	t.Setenv("KUBECONFIG", filepath.Join(dir, "no-kubeconfig"))
	rows := badRows(srv.URL+"/", dir)
	for _, r := range rows {
		before := srv.Total()
		code, out, errOut, ok := runBounded(t.Context(), r.args)
		if !ok {
			t.Fatalf("%q: still running after %s: bad input must not start a run", r.args, rowLimit)
		}
		errOut = strings.TrimSuffix(errOut, "\n")
		if code != exitUsage || out != "" || errOut == "" || strings.Contains(errOut, "\n") ||
			!strings.HasPrefix(errOut, "scalelab: ") || !strings.Contains(errOut, r.names) {
			t.Errorf("%q: exit %d, stdout %d bytes, stderr %q: want exit 2 and one line naming %s", r.args, code, len(out), errOut, r.names)
		}
		if n := srv.Total() - before; n > 0 {
			t.Errorf("%q: the target counted %d requests: bad input must not send any", r.args, n)
		}
	}
	t.Logf("%d rows", len(rows))
}

// TestHostHeaderIsSent checks that -H Host, which the header checks let
// through, reaches the target as the Host header.
func TestHostHeaderIsSent(t *testing.T) {
	srv := enginetest.NewServer(t, enginetest.RecordArrivals())
	code, _, errOut := scalelab(t.Context(), "load", srv.URL+"/", "--rate", "20", "--duration", "200ms",
		"-H", "Host: example.test", "-H", "X-Note: café\tau lait", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	last := srv.Last()
	if last.Host != "example.test" || last.Header.Get("X-Note") != "café\tau lait" {
		t.Errorf("the target got Host %q, X-Note %q: want example.test and the UTF-8 value as given", last.Host, last.Header.Get("X-Note"))
	}
}

// rowLimit bounds one row of the table: a refusal takes milliseconds; a
// run that started is stopped after 3 s and must have ended well within
// this.
const rowLimit = 10 * time.Second

// runBounded runs args in-process, stopped after 3 s, and returns what
// scalelab does, or ok false when it did not end within rowLimit (the
// run is left behind: the test must stop).
func runBounded(ctx context.Context, args []string) (code int, out, errOut string, ok bool) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	type result struct {
		code        int
		out, errOut string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errOut := scalelab(ctx, args...)
		done <- result{code, out, errOut}
	}()
	select {
	case r := <-done:
		return r.code, r.out, r.errOut, true
	case <-time.After(rowLimit):
		return 0, "", "", false
	}
}
