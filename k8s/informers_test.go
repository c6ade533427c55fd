package k8s

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/scalelab/scalelab/cluster"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestDroppedWatchIsANoteNotAStop(t *testing.T) {
	d, _ := startFake(t, Options{}, testObjects()...)
	events := collect(t, d)
	handler := d.watchDropped("pods")
	ctx := t.Context()

	// Routine ends of a watch say nothing.
	handler(ctx, nil, io.EOF)
	handler(ctx, nil, apierrors.NewResourceExpired("too old resource version"))
	handler(ctx, nil, apierrors.NewGone("gone"))

	handler(ctx, nil, io.ErrUnexpectedEOF)
	e := nextEvent(t, events, cluster.Note)
	if e.Message != "watch on pods dropped, reconnecting: unexpected EOF" {
		t.Errorf("note %q", e.Message)
	}
	// While it keeps failing, one note per resource per watchNoteEvery.
	handler(ctx, nil, errors.New("connection refused"))
	d.watchDropped("replicasets")(ctx, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "replicasets"}, "", errors.New("no")))
	e = nextEvent(t, events, cluster.Note)
	if e.Message != "watch on replicasets dropped, reconnecting: forbidden: needs watch on replicasets in namespace ns" {
		t.Errorf("second note %q (the repeated pods error must stay quiet)", e.Message)
	}
	// The driver goes on.
	if st := d.State(); st.Desired != 3 {
		t.Errorf("state after dropped watches: %+v", st)
	}
	if err := d.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	err := d.Scale(ctx, 2)
	if !errors.Is(err, cluster.ErrStopped) || !strings.Contains(err.Error(), "scale deployment/demo to 2") {
		t.Errorf("Scale after Stop: %v", err)
	}
}
