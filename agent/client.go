package agent

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// Client talks to one agent: its control API at Addr (host:port, or a
// base URL such as a pod proxy's), with the run's token.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// NewClient returns the client of the agent at addr ("127.0.0.1:7001",
// or a base URL "https://api/.../proxy"), using hc (nil: a client of its
// own, no timeout on the frame stream).
func NewClient(addr, token string, hc *http.Client) *Client {
	base := strings.TrimSuffix(addr, "/")
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{base: base, token: token, http: hc}
}

// Addr is the agent's address as given.
func (c *Client) Addr() string { return strings.TrimPrefix(c.base, "http://") }

// controlTimeout bounds each control request.
const controlTimeout = 5 * time.Second

// do sends one control request, v as its JSON body (nil: none), and
// decodes the answer into out (nil: ignored); an answer not 2xx is an
// error with the agent's one line.
func (c *Client) do(ctx context.Context, method, path string, v, out any) error {
	ctx, cancel := context.WithTimeout(ctx, controlTimeout)
	defer cancel()
	var body io.Reader
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("agent %s: %w", c.Addr(), err)
	}
	req.Header.Set(TokenHeader, c.token)
	if v != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("agent %s: %w", c.Addr(), err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("agent %s: %s %s: %d %s", c.Addr(), method, path, resp.StatusCode, firstLine(b))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("agent %s: %s: %w", c.Addr(), path, err)
		}
	}
	return nil
}

// firstLine is the first line of an answer's body, trimmed.
func firstLine(b []byte) string {
	l, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return l
}

// Status asks the agent its state.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var st Status
	err := c.do(ctx, http.MethodGet, PathStatus, nil, &st)
	return st, err
}

// Run arms the agent with spec.
func (c *Client) Run(ctx context.Context, spec Spec) error {
	return c.do(ctx, http.MethodPost, PathRun, spec, nil)
}

// SetRate sets the agent's open-loop rate, SetConnections its closed
// loop's connections.
func (c *Client) SetRate(ctx context.Context, r float64) error {
	return c.do(ctx, http.MethodPost, PathRate, Setting{Rate: r}, nil)
}

// SetConnections sets the agent's closed-loop connections.
func (c *Client) SetConnections(ctx context.Context, n int) error {
	return c.do(ctx, http.MethodPost, PathConnections, Setting{Connections: n}, nil)
}

// SetEndpoints replaces the endpoints the agent's run balances over.
func (c *Client) SetEndpoints(ctx context.Context, eps []engine.Endpoint) error {
	return c.do(ctx, http.MethodPost, PathEndpoints, EndpointSet{Endpoints: eps}, nil)
}

// Pause, Resume and Stop act on the agent's load.
func (c *Client) Pause(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, PathPause, nil, nil)
}

// Resume resumes the agent's load.
func (c *Client) Resume(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, PathResume, nil, nil)
}

// Stop stops the agent's load (its drain still runs).
func (c *Client) Stop(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, PathStop, nil, nil)
}

// Frames opens the agent's frame stream and calls msg for each message
// until the stream's end (MsgEnd, then nil), its failure or ctx's end.
// The payload is only valid during the call.
func (c *Client) Frames(ctx context.Context, msg func(kind byte, payload []byte) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+PathFrames, nil)
	if err != nil {
		return fmt.Errorf("agent %s: %w", c.Addr(), err)
	}
	req.Header.Set(TokenHeader, c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("agent %s: frames: %w", c.Addr(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		return fmt.Errorf("agent %s: frames: %d %s", c.Addr(), resp.StatusCode, firstLine(b))
	}
	r := bufio.NewReaderSize(resp.Body, 64<<10)
	var buf []byte
	for {
		kind, payload, err := ReadMessage(r, buf)
		if err != nil {
			if err == io.EOF {
				return fmt.Errorf("agent %s: the frame stream ended before the run's end", c.Addr())
			}
			return fmt.Errorf("agent %s: %w", c.Addr(), err)
		}
		buf = payload[:0]
		if err := msg(kind, payload); err != nil {
			return err
		}
		if kind == MsgEnd {
			return nil
		}
	}
}
