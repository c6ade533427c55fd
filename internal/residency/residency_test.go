package residency

import (
	"reflect"
	"strings"
	"testing"
)

// smapsOf is a made-up /proc/self/smaps: each mapping's line and its
// Anonymous field.
func smapsOf(maps ...[2]string) string {
	var b strings.Builder
	for _, m := range maps {
		b.WriteString(m[0] + "\nSize:               1284 kB\nRss:                1284 kB\nPrivate_Dirty:      1284 kB\n")
		b.WriteString("Anonymous:          " + m[1] + " kB\nSwap:                  0 kB\nVmFlags: rd ex mr mw me \n")
	}
	return b.String()
}

// TestCleanSpans: the executable's private read-only mappings without a
// page of their own are released; a relocated one (anonymous pages), a
// writable one, a shared one, another file's, a deleted file's and an
// anonymous mapping are not. Dirty page-cache pages (a binary just
// linked) do not make a mapping the process's own.
func TestCleanSpans(t *testing.T) {
	const exe = "/opt/scalelab/bin/scalelab"
	smaps := smapsOf(
		[2]string{"00400000-01500000 r--p 00000000 fe:00 9983360                            " + exe, "0"},
		[2]string{"01500000-03472000 r-xp 01100000 fe:00 9983360                            " + exe, "0"},
		[2]string{"03472000-05a31000 r--p 03072000 fe:00 9983360                            " + exe, "0"},
		[2]string{"05a31000-05a32000 r--p 05630000 fe:00 9983360                            " + exe, "4"},
		[2]string{"05a32000-05bc2000 rw-p 05631000 fe:00 9983360                            " + exe, "152"},
		[2]string{"05bc2000-05bc3000 r--s 05631000 fe:00 9983360                            " + exe, "0"},
		[2]string{"7f0000000000-7f0000100000 r-xp 00000000 fe:00 12                         /usr/lib/x86_64-linux-gnu/libc.so.6", "0"},
		[2]string{"7f0000200000-7f0000300000 r-xp 00000000 fe:00 13                         " + exe + " (deleted)", "0"},
		[2]string{"7f0000400000-7f0000500000 rw-p 00000000 00:00 0 ", "1024"},
	)
	got, err := cleanSpans(strings.NewReader(smaps), exe)
	if err != nil {
		t.Fatal(err)
	}
	want := []span{{0x400000, 0x1500000}, {0x1500000, 0x3472000}, {0x3472000, 0x5a31000}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("spans %#v, want %#v", got, want)
	}
	if got, err := cleanSpans(strings.NewReader(""), exe); err != nil || len(got) != 0 {
		t.Fatalf("empty smaps: %v, %v", got, err)
	}
}
