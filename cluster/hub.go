package cluster

import (
	"context"
	"sync"
)

// hubQueue bounds the events queued for one slow subscriber; past it the
// newest are dropped.
const hubQueue = 4096

// Hub fans events out to subscribers, for drivers implementing Subscribe.
// Publish never blocks: each subscriber has its own queue. The zero Hub is
// ready to use.
type Hub struct {
	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	closed bool
}

type subscriber struct {
	queue []Event
	wake  chan struct{}
}

// Publish sends e to every subscriber.
func (h *Hub) Publish(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	for s := range h.subs {
		if len(s.queue) >= hubQueue {
			continue
		}
		s.queue = append(s.queue, e)
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// Subscribe returns a channel of the events published from now on. It is
// closed when ctx ends, or after the queued events when the hub closes.
func (h *Hub) Subscribe(ctx context.Context) <-chan Event {
	out := make(chan Event)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(out)
		return out
	}
	if h.subs == nil {
		h.subs = map[*subscriber]struct{}{}
	}
	s := &subscriber{wake: make(chan struct{}, 1)}
	h.subs[s] = struct{}{}
	go h.deliver(ctx, s, out)
	return out
}

// deliver moves s's queue to out until ctx ends or the hub closed and the
// queue is empty.
func (h *Hub) deliver(ctx context.Context, s *subscriber, out chan<- Event) {
	defer close(out)
	defer h.remove(s)
	for {
		h.mu.Lock()
		batch, closed := s.queue, h.closed
		s.queue = nil
		h.mu.Unlock()
		for _, e := range batch {
			select {
			case out <- e:
			case <-ctx.Done():
				return
			}
		}
		if closed && len(batch) == 0 {
			return
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-s.wake:
		case <-ctx.Done():
			return
		}
	}
}

func (h *Hub) remove(s *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, s)
}

// Close ends every subscription once its queued events are delivered.
// Close is idempotent; Publish after Close does nothing.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	for s := range h.subs {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}
