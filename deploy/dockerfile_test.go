package deploy

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
)

// image is what the final stage of the Dockerfile puts in the image.
type image struct {
	stages     [][]instruction // every stage, FROM first
	base       string          // the final stage's base image
	entrypoint []string        // exec form
	cmd        []string
	env        []string          // ENV KEY=VALUE, as written (${VERSION} unexpanded)
	args       map[string]string // ARG defaults
	user       string
	expose     []string
	files      []string // COPY destinations
}

// instruction is one Dockerfile instruction.
type instruction struct {
	cmd  string // FROM, RUN, ... in capitals
	args string
	line int
}

// parseDockerfile reads the instructions: continuation lines joined,
// comments and parser directives skipped.
func parseDockerfile(data []byte) []instruction {
	var out []instruction
	var cur strings.Builder
	start := 0
	for i, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		body, more := strings.CutSuffix(trimmed, `\`)
		cur.WriteString(body + " ")
		if more {
			continue
		}
		cmd, args, _ := strings.Cut(strings.TrimSpace(cur.String()), " ")
		out = append(out, instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args), line: start})
		cur.Reset()
	}
	return out
}

// newImage reads the Dockerfile's stages and its final image.
func newImage(data []byte) (image, error) {
	im := image{args: map[string]string{}}
	for _, in := range parseDockerfile(data) {
		if in.cmd == "FROM" {
			im.stages = append(im.stages, nil)
		}
		if len(im.stages) == 0 {
			if in.cmd == "ARG" {
				continue // global build arguments
			}
			return im, fmt.Errorf("Dockerfile line %d: %s before FROM", in.line, in.cmd)
		}
		im.stages[len(im.stages)-1] = append(im.stages[len(im.stages)-1], in)
		if err := im.apply(in); err != nil {
			return im, fmt.Errorf("Dockerfile line %d: %s: %w", in.line, in.cmd, err)
		}
	}
	if len(im.stages) == 0 {
		return im, errors.New("Dockerfile: no FROM")
	}
	return im, nil
}

// apply records what an instruction of the current stage sets.
func (im *image) apply(in instruction) error {
	words := strings.Fields(in.args)
	var err error
	switch in.cmd {
	case "FROM":
		words = slices.DeleteFunc(words, func(w string) bool { return strings.HasPrefix(w, "--") })
		if len(words) == 0 {
			return errors.New("no image")
		}
		*im = image{stages: im.stages, base: words[0], args: map[string]string{}}
	case "ARG":
		for _, w := range words {
			k, v, _ := strings.Cut(w, "=")
			im.args[k] = v
		}
	case "ENV":
		im.env = append(im.env, words...)
	case "USER":
		im.user = in.args
	case "EXPOSE":
		im.expose = append(im.expose, words...)
	case "COPY":
		if len(words) > 0 {
			im.files = append(im.files, words[len(words)-1])
		}
	case "ENTRYPOINT":
		im.entrypoint, err = execForm(in.args)
	case "CMD":
		im.cmd, err = execForm(in.args)
	}
	return err
}

// execForm parses a JSON array; the shell form would run under /bin/sh,
// which a distroless image has not, and would not pass SIGTERM on.
func execForm(args string) ([]string, error) {
	var out []string
	if err := json.Unmarshal([]byte(args), &out); err != nil || len(out) == 0 {
		return nil, fmt.Errorf("%s: want the exec form, a JSON array such as [\"/scalelab\", \"target\"]", args)
	}
	return out, nil
}

// environ is the image's environment when built with --build-arg
// VERSION=version: its ENV with the build arguments expanded.
func (im image) environ(version string) map[string]string {
	vars := map[string]string{}
	for k, v := range im.args {
		vars[k] = v
	}
	vars["VERSION"] = version
	env := map[string]string{}
	for _, kv := range im.env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		env[k] = os.Expand(strings.Trim(v, `"`), func(name string) string { return vars[name] })
	}
	return env
}

// checkDockerfile checks the build: a Go stage building a static binary,
// a minimal final image running as a non-root user, the version from the
// VERSION build argument, the entrypoint in exec form.
func checkDockerfile(im image) error {
	var errs []error
	fail := func(format string, a ...any) { errs = append(errs, fmt.Errorf("Dockerfile: "+format, a...)) }
	if len(im.stages) < 2 {
		fail("%d stage(s): want a golang build stage and a minimal final stage", len(im.stages))
	} else {
		if from := strings.Fields(im.stages[0][0].args); !slices.ContainsFunc(from, func(w string) bool { return strings.HasPrefix(w, "golang:1.26") }) {
			fail("build stage FROM %s: want golang:1.26", im.stages[0][0].args)
		}
		if !buildsStatic(im.stages[:len(im.stages)-1]) {
			fail("no RUN with CGO_ENABLED=0 go build: the binary must be static for %s", im.base)
		}
	}
	if !strings.HasPrefix(im.base, "gcr.io/distroless/static") && im.base != "scratch" {
		fail("final stage FROM %s: want gcr.io/distroless/static or scratch", im.base)
	}
	uid, _, _ := strings.Cut(im.user, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		fail("USER %q: want a numeric non-root user (runAsNonRoot can only check a numeric one)", im.user)
	}
	if got := im.environ("v-probe")["SCALELAB_VERSION"]; got != "v-probe" {
		fail("SCALELAB_VERSION is %q when built with VERSION=v-probe: want ENV SCALELAB_VERSION=${VERSION} (the tag is the version)", got)
	}
	switch {
	case len(im.entrypoint) < 2 || im.entrypoint[1] != "target":
		fail("ENTRYPOINT %q: want [BINARY, \"target\", ...]", im.entrypoint)
	case !slices.Contains(im.files, im.entrypoint[0]):
		fail("ENTRYPOINT runs %s, which no COPY of the final stage puts there (%v)", im.entrypoint[0], im.files)
	}
	if listen, err := listenAddr(im.entrypoint, im.environ("v1")); err == nil {
		if _, port, _ := net.SplitHostPort(listen); !slices.Contains(im.expose, port) && !slices.Contains(im.expose, port+"/tcp") {
			fail("EXPOSE %v does not name the port the entrypoint listens on (%s)", im.expose, listen)
		}
	} else {
		errs = append(errs, fmt.Errorf("Dockerfile: %w", err))
	}
	return errors.Join(errs...)
}

// buildsStatic reports whether a build stage runs go build with cgo off.
func buildsStatic(stages [][]instruction) bool {
	for _, st := range stages {
		for _, in := range st {
			if in.cmd == "RUN" && strings.Contains(in.args, "CGO_ENABLED=0") && strings.Contains(in.args, "go build") {
				return true
			}
		}
	}
	return false
}
