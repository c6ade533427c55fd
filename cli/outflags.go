package cli

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/scalelab/scalelab/session"
	"github.com/spf13/pflag"
)

// outKinds are the --out streams, by the name before "=".
var outKinds = map[string]func(io.Writer) session.Sink{
	"jsonl": session.JSONL,
	"csv":   session.CSV,
}

// outFlags are the --out streams of a run.
type outFlags struct{ specs []string }

func (f *outFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.specs, "out", nil, "stream every tick, event and step as it happens: jsonl=FILE (a JSON object a line) or csv=FILE (a row a tick); repeatable; FILE - is stdout unless --json prints the summary there")
}

// check finds bad --out values before anything starts.
func (f *outFlags) check(jsonOut bool) error {
	seen := map[string]bool{}
	for _, spec := range f.specs {
		kind, path, ok := strings.Cut(spec, "=")
		if _, known := outKinds[kind]; !ok || !known {
			return badInput("--out %q: want jsonl=FILE or csv=FILE", spec)
		}
		switch {
		case path == "":
			return badInput("--out %s: no file after %s=", spec, kind)
		case path == "-" && jsonOut:
			return badInput("--out %s: stdout carries the --json summary; write the stream to a file", spec)
		case seen[path]:
			return badInput("--out %s: %s is given twice; one stream per file", spec, path)
		}
		seen[path] = true
		if path == "-" {
			continue
		}
		if strings.IndexFunc(path, func(r rune) bool { return r < ' ' || r == 0x7f }) >= 0 {
			return badInput("--out %q: a control character in the file name", spec)
		}
		if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
			return badInput("--out %s: %s is not a regular file", spec, path)
		}
		if st, err := os.Stat(filepath.Dir(path)); err != nil || !st.IsDir() {
			return badInput("--out %s: no folder %s to write it in", spec, filepath.Dir(path))
		}
	}
	return nil
}

// open opens the streams' files (created or truncated) and returns their
// sinks, and a function that closes the files.
func (f *outFlags) open(stdout io.Writer, jsonOut bool) ([]session.Sink, func(), error) {
	if err := f.check(jsonOut); err != nil {
		return nil, func() {}, err
	}
	var sinks []session.Sink
	var files []*os.File
	closeAll := func() {
		for _, fl := range files {
			_ = fl.Close()
		}
	}
	for _, spec := range f.specs {
		kind, path, _ := strings.Cut(spec, "=")
		w := stdout
		if path != "-" {
			fl, err := os.Create(path)
			if err != nil {
				closeAll()
				return nil, func() {}, badInput("--out %s: %v", spec, unwrapPath(err))
			}
			files = append(files, fl)
			w = fl
		}
		sinks = append(sinks, outKinds[kind](w))
	}
	return sinks, closeAll, nil
}

// unwrapPath is a *PathError's own error (the flag names the file), or err.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
