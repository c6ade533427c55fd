// Package residency gives back the pages of the program's own executable
// that the process touched once, while starting, and does not use.
//
// scalelab's binary maps about 90 MB of code and read-only tables
// (client-go, kubectl, bubbletea and the rest): package initialisation
// touches all of it once, and the kernel keeps what was touched mapped,
// in large folios, so that a load generator doing 100,000 requests a
// second on 10 MB of it shows 70 MB of the binary resident. Release,
// called once the program started, hands those pages back: its resident
// set is then what it runs.
package residency

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// span is a mapping's address range.
type span struct{ lo, hi uintptr }

// cleanSpans reads smaps (the format of /proc/self/smaps) and returns
// the mappings of the file exe that are private, read-only and hold no
// anonymous page: code and read-only data the file has as they are. A
// mapping the loader wrote (relocations, then made read-only) holds
// anonymous copies of its pages that the file does not have, and is left
// out, as is every writable mapping and any other file's.
func cleanSpans(smaps io.Reader, exe string) ([]span, error) {
	var (
		spans []span
		cur   span
		keep  bool
	)
	flush := func() {
		if keep {
			spans = append(spans, cur)
		}
		keep = false
	}
	sc := bufio.NewScanner(smaps)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if key, ok := strings.CutSuffix(fields[0], ":"); ok {
			// "Anonymous:  4 kB": pages of its own (copied on write).
			if key == "Anonymous" && (len(fields) < 2 || fields[1] != "0") {
				keep = false
			}
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		flush()
		// 00400000-01a2c000 r-xp 00000000 08:01 1234  /path/to/exe
		// (a deleted file's path ends with " (deleted)": not exe's)
		if len(fields) != 6 || fields[5] != exe || len(fields[1]) != 4 || fields[1][0] != 'r' || fields[1][1] != '-' || fields[1][3] != 'p' {
			continue
		}
		a, err1 := strconv.ParseUint(lo, 16, 64)
		b, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || b <= a {
			continue
		}
		cur, keep = span{uintptr(a), uintptr(b)}, true
	}
	flush()
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("residency: smaps: %w", err)
	}
	return spans, nil
}
