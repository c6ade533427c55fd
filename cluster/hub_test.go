package cluster

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestHubDeliversInOrderToEverySubscriber(t *testing.T) {
	var h Hub
	ctx := t.Context()
	a, b := h.Subscribe(ctx), h.Subscribe(ctx)
	for i := range 100 {
		h.Publish(Event{Kind: Note, Message: fmt.Sprint(i)})
	}
	h.Close()
	for name, ch := range map[string]<-chan Event{"a": a, "b": b} {
		i := 0
		for e := range ch {
			if e.Message != fmt.Sprint(i) {
				t.Fatalf("%s: event %d: got %q", name, i, e.Message)
			}
			i++
		}
		if i != 100 {
			t.Fatalf("%s: got %d events, want 100", name, i)
		}
	}
}

func TestHubSubscriptionEndsWithContext(t *testing.T) {
	var h Hub
	ctx, cancel := context.WithCancel(t.Context())
	ch := h.Subscribe(ctx)
	h.Publish(Event{Message: "first"})
	if e := <-ch; e.Message != "first" {
		t.Fatalf("got %q", e.Message)
	}
	cancel()
	select {
	case _, ok := <-ch:
		if ok {
			// An event may race the close; the channel must close next.
			if _, ok := <-ch; ok {
				t.Fatal("channel still open after cancel")
			}
		}
	case <-time.After(5 * time.Second):
		t.Fatal("channel not closed after cancel")
	}
	h.Publish(Event{Message: "after"}) // must not block or panic
}

func TestHubSubscribeAfterCloseIsClosed(t *testing.T) {
	var h Hub
	h.Close()
	h.Close()
	if _, ok := <-h.Subscribe(t.Context()); ok {
		t.Fatal("subscription after Close delivered an event")
	}
}
