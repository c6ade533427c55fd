package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// targetBad lists, for each flag of scalelab target, bad values of each
// kind (NaN, Inf, huge, zero, negative, empty, control characters,
// unicode; a kind is left out where every value of it is a good one, such
// as NaN for a version). Keep it growing.
var targetBad = map[string][]string{
	"listen": {"garbage", "127.0.0.1:NaN", "127.0.0.1:Inf", "127.0.0.1:99999999999999999999", "127.0.0.1:65536", "0", "127.0.0.1:-1", "",
		"127.0.0.1:80\x00", "127.0.0.1:\x01", "h\x1b[2J:80", "１２７.0.0.1:0", "hé:80"},
	"version":       {strings.Repeat("v", 1000), "", "v\x01", "v\r\nX-Evil: 1", "v 2", "vé", "v\u200b"},
	"name":          {strings.Repeat("n", 300), "n\x01", "a\r\nX-Evil: 1", "a b", "né", "\ufeff"},
	"latency":       {"NaN", "Inf", "1e308s", "2562047h", "2h", "-1ms", "", "1ms\x01", "５ms", "1ms..-2ms"},
	"error-rate":    {"NaN", "Inf", "-Inf", "1e308", "-0.1", "-1%", "", "0.1\x01", "0.５", "abc", "101%"},
	"startup-delay": {"NaN", "Inf", "1e308s", "2562047h", "-1s", "", "1s\x01", "１s"},
	"cpu-work":      {"NaN", "Inf", "1e308s", "2562047h", "-1ns", "", "1s\x01", "１s"},
	"drain":         {"NaN", "Inf", "1e308s", "2562047h", "-1s", "", "1s\x01", "１s"},
	"no-drain":      {"NaN", "Inf", "2", "-1", "yes\x01", "ja", "tru\u0435"},
}

// TestTargetBadFlagsAndEnvAreOneLineExit2 feeds every flag of scalelab
// target each bad value, on the command line and from its environment
// variable: each is refused before it listens, exit 2 with one line that
// names the flag (--error-rate) or the variable (SCALELAB_ERROR_RATE) it
// came from.
func TestTargetBadFlagsAndEnvAreOneLineExit2(t *testing.T) {
	for flag, values := range targetBad {
		env := "SCALELAB_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
		for _, v := range values {
			args := []string{"target", "--listen", "127.0.0.1:0", "--" + flag + "=" + v}
			if flag == "listen" {
				args = args[:1:1]
				args = append(args, "--listen="+v)
			}
			checkTargetRefused(t, fmt.Sprintf("--%s=%q", flag, v), args, "--"+flag)
			if v == "" || strings.ContainsRune(v, 0) {
				continue // an empty variable is unset; a NUL cannot be in the environment
			}
			t.Run("", func(t *testing.T) {
				t.Setenv(env, v)
				args := []string{"target", "--listen", "127.0.0.1:0"}
				if flag == "listen" {
					args = args[:1]
				}
				checkTargetRefused(t, fmt.Sprintf("%s=%q", env, v), args, env)
			})
		}
	}
}

// checkTargetRefused runs scalelab target with args (a good value would
// make it listen: it is stopped after 2 s) and checks exit 2 and one line
// naming want.
func checkTargetRefused(t *testing.T, what string, args []string, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	code, out, errOut := scalelab(ctx, args...)
	if code != exitUsage || out != "" || strings.Count(strings.TrimSpace(errOut), "\n") != 0 ||
		!strings.HasPrefix(errOut, "scalelab: ") || !strings.Contains(errOut, want) {
		t.Errorf("%s: exit %d, stderr %q: want exit 2 and one line naming %s", what, code, errOut, want)
	}
}
