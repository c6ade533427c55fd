package probes

import (
	"errors"
	"io"
	"os"
)

// procFile is a kernel file kept open and read again from its start at
// each sample (pread), so that reading it allocates nothing.
type procFile struct {
	path    string
	f       *os.File
	missing bool
}

// read returns the file's whole content in *buf, growing it when needed;
// false when the file is missing or cannot be read (as /proc/pressure on
// a kernel booted with psi=0).
func (p *procFile) read(buf *[]byte) ([]byte, bool) {
	if p.f == nil {
		if p.missing || p.path == "" {
			return nil, false
		}
		f, err := os.Open(p.path)
		if err != nil {
			p.missing = true
			return nil, false
		}
		p.f = f
	}
	if len(*buf) == 0 {
		*buf = make([]byte, 8192)
	}
	n := 0
	for {
		m, err := p.f.ReadAt((*buf)[n:], int64(n))
		n += m
		if errors.Is(err, io.EOF) {
			return (*buf)[:n], true
		}
		if err != nil {
			return nil, false
		}
		if n == len(*buf) {
			grown := make([]byte, 2*len(*buf))
			copy(grown, *buf)
			*buf = grown
		}
	}
}

// close closes the file if it was opened.
func (p *procFile) close() {
	if p.f != nil {
		p.f.Close()
		p.f = nil
	}
}
