package recordings

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
)

// The format version this package writes. A reader refuses a file of a
// newer major version and reads one of a newer minor version, ignoring
// what it does not know (unknown JSON fields, entry kinds and trailing
// frame fields).
const (
	FormatMajor = 1
	FormatMinor = 9
)

// Extension is a recording file's name extension.
const Extension = ".scalelab"

// versionPrefix starts a recording's first line: "scalelab recording 1.3\n".
const versionPrefix = "scalelab recording "

// maxVersionLine bounds the first line.
const maxVersionLine = 64

// Record framing: every record is
//
//	magic (4 bytes) | kind (1) | length (uint32 LE) | CRC-32C (uint32 LE) | payload
//
// where the CRC covers the kind, the length bytes and the payload.
var recordMagic = [4]byte{0xd5, 'S', 'L', 'R'}

const recordHeaderLen = 13

// Record kinds.
const (
	recHeader byte = 'H' // the session header, JSON
	recBlock  byte = 'B' // a zstd-compressed block of entries
)

// Entry kinds inside a block: kind (1 byte) | length (uvarint) | payload.
const (
	entFrame   byte = 'F' // an engine snapshot, binary (frame.go)
	entState   byte = 'S' // the cluster's state, JSON, from the next frame on
	entEvent   byte = 'E' // an event, JSON
	entSummary byte = 'Z' // the closing summary, JSON
)

// Size bounds: a record's payload and a block's decompressed entries.
const (
	maxRecord = 16 << 20
	maxBlock  = 32 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrNotRecording is returned for a file that is not a scalelab recording.
var ErrNotRecording = errors.New("not a scalelab recording")

// VersionError is returned for a recording of a major format version this
// package does not read.
type VersionError struct {
	// Major and Minor are the file's format version.
	Major, Minor int
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("recording format %d.%d is newer than this scalelab reads (%d.x): use a newer scalelab",
		e.Major, e.Minor, FormatMajor)
}

// versionLine is the first line of a file this package writes.
func versionLine() string {
	return fmt.Sprintf("%s%d.%d\n", versionPrefix, FormatMajor, FormatMinor)
}

// parseVersion reads "scalelab recording MAJOR.MINOR" (without the newline).
func parseVersion(line string) (major, minor int, err error) {
	v, ok := strings.CutPrefix(line, versionPrefix)
	if !ok {
		return 0, 0, ErrNotRecording
	}
	ma, mi, ok := strings.Cut(v, ".")
	major, err1 := strconv.Atoi(ma)
	minor, err2 := strconv.Atoi(mi)
	if !ok || err1 != nil || err2 != nil || major < 0 || minor < 0 {
		return 0, 0, fmt.Errorf("%w: bad version %q", ErrNotRecording, v)
	}
	if major != FormatMajor {
		if major > FormatMajor {
			return major, minor, &VersionError{Major: major, Minor: minor}
		}
		return major, minor, fmt.Errorf("recording format %d.%d is older than any scalelab wrote", major, minor)
	}
	return major, minor, nil
}

// appendRecord appends one framed record to dst.
func appendRecord(dst []byte, kind byte, payload []byte) []byte {
	var hdr [recordHeaderLen]byte
	copy(hdr[:4], recordMagic[:])
	hdr[4] = kind
	binary.LittleEndian.PutUint32(hdr[5:9], uint32(len(payload)))
	crc := crc32.Update(0, castagnoli, hdr[4:9])
	crc = crc32.Update(crc, castagnoli, payload)
	binary.LittleEndian.PutUint32(hdr[9:13], crc)
	dst = append(dst, hdr[:]...)
	return append(dst, payload...)
}

// appendEntry appends one entry of a block.
func appendEntry(dst []byte, kind byte, payload []byte) []byte {
	dst = append(dst, kind)
	dst = binary.AppendUvarint(dst, uint64(len(payload)))
	return append(dst, payload...)
}

// nextEntry splits the first entry off b. ok is false at the end or when
// the rest is malformed.
func nextEntry(b []byte) (kind byte, payload, rest []byte, ok bool) {
	if len(b) < 2 {
		return 0, nil, nil, false
	}
	kind = b[0]
	n, w := binary.Uvarint(b[1:])
	if w <= 0 || n > uint64(len(b)-1-w) {
		return 0, nil, nil, false
	}
	start := 1 + w
	return kind, b[start : start+int(n)], b[start+int(n):], true
}
