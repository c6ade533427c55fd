package cli

import (
	"slices"
	"strconv"
	"strings"

	"github.com/scalelab/scalelab/recordings"
	"github.com/spf13/cobra"
)

// showSecretsFlag is the flag that prints secrets as given instead of
// redacted. It never changes what is recorded.
const showSecretsFlag = "show-secrets"

// shownURL is url as scalelab prints it (stderr, the UI, the summary and
// its JSON target): redacted as the recording redacts it
// (recordings.RedactURL), unless showSecrets.
func shownURL(url string, showSecrets bool) string {
	if showSecrets {
		return url
	}
	return recordings.RedactURL(url)
}

// showsSecrets reports whether the command that args ran was given
// --show-secrets.
func showsSecrets(root *cobra.Command, args []string) bool {
	cmd, _, err := root.Find(args)
	if err != nil {
		return false
	}
	fl := cmd.Flags().Lookup(showSecretsFlag)
	return fl != nil && fl.Value.String() == "true"
}

// redactMessage replaces in msg (an error message, which may quote what
// was given) every URL and header argument of args that holds a secret
// with its redacted form, quoted or not.
func redactMessage(msg string, args []string) string {
	type swap struct{ secret, shown string }
	var swaps []swap
	for i, a := range args {
		var shown string
		switch {
		case strings.HasPrefix(a, "--header="):
			a = strings.TrimPrefix(a, "--header=")
			shown = recordings.RedactHeaderLine(a)
		case strings.HasPrefix(a, "-H") && len(a) > 2:
			a = a[2:]
			shown = recordings.RedactHeaderLine(a)
		case i > 0 && (args[i-1] == "-H" || args[i-1] == "--header"):
			shown = recordings.RedactHeaderLine(a)
		case strings.Contains(a, "://"):
			shown = recordings.RedactURL(a)
		default:
			continue
		}
		if shown != a {
			swaps = append(swaps, swap{strconv.Quote(a), strconv.Quote(shown)}, swap{a, shown})
		}
	}
	// The longest first, so that a secret inside another is not half
	// replaced.
	slices.SortStableFunc(swaps, func(x, y swap) int { return len(y.secret) - len(x.secret) })
	for _, s := range swaps {
		msg = strings.ReplaceAll(msg, s.secret, s.shown)
	}
	return msg
}
