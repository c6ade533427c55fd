package engine

import (
	"fmt"
	"testing"
	"time"
)

// TestStripeVersionsForgetIdleVersions: a stripe keeps at most MaxVersions
// names; a version unseen for a tick gives its place up to a new one
// instead of sending it to OtherVersion for the rest of the run (many
// upgrades over a long session).
func TestStripeVersionsForgetIdleVersions(t *testing.T) {
	rec := newRecorder(1)
	s := rec.stripe(0)
	send := func(version string, n int) {
		for range n {
			r := result{intended: 0, sent: 0, done: time.Millisecond, status: 200, version: []byte(version)}
			s.record(&r)
		}
	}
	for i := range MaxVersions + 2 {
		send(fmt.Sprintf("old%d", i), 3)
	}
	snap := NewSnapshot()
	rec.collect(snap)
	if len(snap.ByVersion) != MaxVersions+1 || snap.ByVersion[OtherVersion].Requests != 6 {
		t.Fatalf("first tick: %d versions, other %+v", len(snap.ByVersion), snap.ByVersion[OtherVersion])
	}
	// A tick of the new version alone: the old entries are idle, dropped.
	send("new", 1)
	rec.collect(NewSnapshot())
	send("new", 1)
	rec.collect(NewSnapshot())
	if n := len(s.spare.versions) + len(s.cur.versions); n > 2 {
		t.Fatalf("%d version entries kept after the old versions went idle", n)
	}
	for i := range MaxVersions {
		send(fmt.Sprintf("newer%d", i), 1)
	}
	snap = NewSnapshot()
	rec.collect(snap)
	if snap.ByVersion[OtherVersion] != nil || len(snap.ByVersion) != MaxVersions {
		t.Fatalf("after the old versions went idle: versions %v", snap.Versions())
	}
}

// TestRecordVersionDoesNotAllocate: once a stripe knows a version (and its
// values' slice has grown), recording a request of it allocates nothing.
func TestRecordVersionDoesNotAllocate(t *testing.T) {
	rec := newRecorder(1)
	s := rec.stripe(0)
	v := []byte("v2") // as Peek returns it: bytes, not a string
	r := result{done: time.Millisecond, status: 200, version: v}
	for range 1000 {
		s.record(&r)
	}
	s.cur.reset() // keeps the entry and its slice's capacity
	if allocs := testing.AllocsPerRun(500, func() { s.record(&r) }); allocs != 0 {
		t.Fatalf("recording a known version allocates %.1f times a request", allocs)
	}
}
