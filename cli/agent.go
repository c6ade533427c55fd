package cli

import (
	"context"
	"errors"
	"fmt"
	"github.com/scalelab/scalelab/internal/loopback"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/scalelab/scalelab/agent"
	"github.com/scalelab/scalelab/fleet"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// maxTokenFile bounds the token file read: a token is a line.
const maxTokenFile = 4096

// agentFlags are the settings of `scalelab agent`.
type agentFlags struct {
	listen        string
	listenAny     bool
	tokenFile     string
	orphanTimeout time.Duration
}

func (f *agentFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.listen, "listen", "127.0.0.1:7001", "address of the control API (a loopback address unless --listen-any; port 0 picks a free one, printed on stderr)")
	fs.BoolVar(&f.listenAny, "listen-any", false, "let --listen serve on any address, not only loopback (the control API on the network, guarded by the token)")
	fs.StringVar(&f.tokenFile, "token-file", "", "file holding the run's token, which every request must carry (required)")
	fs.DurationVar(&f.orphanTimeout, "orphan-timeout", agent.DefaultOrphanTimeout, "stop the load after this long without the controller (no frame stream, no request)")
}

// options checks the flags and reads the token: a bad-input error
// naming the flag, or the server's options.
func (f *agentFlags) options() (agent.ServerOptions, error) {
	if err := fleet.CheckAddr(f.listen); err != nil {
		return agent.ServerOptions{}, badInput("--%v", err) // listen "ADDR": why
	}
	if err := checkAgentListen(f.listen, f.listenAny); err != nil {
		return agent.ServerOptions{}, badInput("--listen %q: %v", f.listen, err)
	}
	if f.orphanTimeout <= 0 {
		return agent.ServerOptions{}, badInput("--orphan-timeout %s: must be positive", f.orphanTimeout)
	}
	if f.tokenFile == "" {
		return agent.ServerOptions{}, badInput("--token-file: required: a file holding the run's token")
	}
	token, err := readToken(f.tokenFile)
	if err != nil {
		return agent.ServerOptions{}, badInput("--token-file %q: %v", f.tokenFile, err)
	}
	return agent.ServerOptions{Token: token, OrphanTimeout: f.orphanTimeout}, nil
}

// checkAgentListen finds a listen address (HOST:PORT, fleet.CheckAddr)
// whose host is not a loopback one, unless anyAddr.
func checkAgentListen(addr string, anyAddr bool) error {
	ok, where := loopback.Addr(addr)
	if anyAddr || ok {
		return nil
	}
	return fmt.Errorf("%s is not a loopback address (the control API would be on the network): give 127.0.0.1:PORT, or allow it with --listen-any", where)
}

// readToken is the token file's content without surrounding white space:
// one word of printable ASCII (it goes in a header).
func readToken(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", errors.Unwrap(err) // the path is the caller's
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, maxTokenFile+1))
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", fmt.Errorf("cannot read it: %w", err)
	}
	if len(b) > maxTokenFile {
		return "", fmt.Errorf("more than %d bytes: want the token alone", maxTokenFile)
	}
	token := strings.TrimSpace(string(b))
	if token == "" {
		return "", errors.New("empty: want the run's token")
	}
	for _, c := range []byte(token) {
		if c < 0x21 || c > 0x7e {
			return "", errors.New("the token must be one word of printable ASCII")
		}
	}
	return token, nil
}

func newAgentCmd(io streams) *cobra.Command {
	var f agentFlags
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run the load engine under a controller's direction: one load agent",
		Long: `Run a load agent: it serves a control API on --listen for a controller
that gives it its share of a run (the target, the rate or connections, a
start time shared by every agent), and streams each tick's measurements
back, exact to merge with the other agents'.

Every request must carry the token of --token-file (in the
X-Scalelab-Token header); others are refused with 401 and logged. When
the controller is gone for --orphan-timeout (no frame stream, no
request) the agent stops its load by itself.

On SIGTERM or Ctrl-C it stops any load (waiting briefly for its requests
in flight) and exits.`,
		Example: `  scalelab agent --token-file /etc/scalelab/token
  scalelab agent --listen 0.0.0.0:7001 --listen-any --token-file token`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 0 {
				return badInput("agent: takes no arguments, got %q", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := f.options()
			if err != nil {
				return err
			}
			opts.Log = io.err
			srv, err := agent.NewServer(opts)
			if err != nil {
				return usageError{err}
			}
			defer srv.Close()
			io.settled()
			ln, err := net.Listen("tcp", f.listen)
			if err != nil {
				return fmt.Errorf("agent: %w", err)
			}
			hs := &http.Server{Handler: srv, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 2 * time.Minute}
			served := make(chan error, 1)
			go func() { served <- hs.Serve(ln) }()
			ctx, stop := interruptible(cmd.Context(), io.err)
			defer stop()
			fmt.Fprintf(io.err, "scalelab agent listening on %s\n", ln.Addr())
			select {
			case <-ctx.Done():
			case err := <-served:
				srv.Close()
				return fmt.Errorf("agent: %w", err)
			}
			srv.Close() // stops the load; the frame streams end with MsgEnd
			shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := hs.Shutdown(shutCtx); err != nil {
				_ = hs.Close()
			}
			return nil
		},
	}
	f.register(cmd.Flags())
	return cmd
}
