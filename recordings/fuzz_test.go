package recordings

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var writeSeeds = flag.Bool("seeds", false, "rewrite the fuzz seed corpus in testdata/fuzz/FuzzRead")

// seeds are the fuzz seed corpus: an intact recording, one without its
// summary, a truncated one, one with a damaged block, one with a damaged
// header, a newer minor version, a newer major version, and things that
// are not recordings.
func seeds(t testing.TB) map[string][]byte {
	data, _ := record(t, 2*time.Second, true)
	killed, _ := record(t, 2*time.Second, false)
	damaged := append([]byte(nil), data...)
	damaged[len(data)/2] ^= 0x55
	line := len(versionLine())
	header := append([]byte(nil), data...)
	header[line+recordHeaderLen+8] ^= 0x55 // in the header's JSON
	return map[string][]byte{
		"intact":         data,
		"killed":         killed,
		"truncated":      data[:len(data)*2/3],
		"damaged":        damaged,
		"damaged-header": header,
		"minor":          append([]byte("scalelab recording 1.9\n"), data[line:]...),
		"major":          append([]byte("scalelab recording 2.0\n"), data[line:]...),
		"header":         data[:line+40],
		"text":           []byte("GET / HTTP/1.1\r\n\r\n"),
	}
}

// TestFuzzSeeds keeps the corpus files in step with seeds (go test
// -run TestFuzzSeeds -seeds rewrites them).
func TestFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzRead")
	if !*writeSeeds {
		entries, err := os.ReadDir(dir)
		if err != nil || len(entries) < 9 {
			t.Fatalf("seed corpus %s: %d files, %v (go test ./recordings -run TestFuzzSeeds -seeds)", dir, len(entries), err)
		}
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range seeds(t) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzRead feeds the reader arbitrary bytes: it must never panic, report
// errors in one line, and decode every indexed frame or say why not.
func FuzzRead(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ReadBytes(data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error in several lines: %q", err)
			}
			return
		}
		defer r.Close()
		if strings.Contains(r.HeaderDamage, "\n") {
			t.Fatalf("header damage in several lines: %q", r.HeaderDamage)
		}
		for _, p := range r.Problems {
			if strings.Contains(p, "\n") || !strings.HasPrefix(p, "frame ") {
				t.Fatalf("problem %q", p)
			}
		}
		for i := range min(r.Len(), 64) {
			if _, err := r.Frame(i, Full); err != nil && strings.Contains(err.Error(), "\n") {
				t.Fatalf("frame %d: error in several lines: %q", i, err)
			}
		}
		_ = r.Seek(r.Duration() / 2)
		if r.Len() <= 64 {
			_, _ = r.Total()
		}
	})
}
