package engine

import (
	"sync/atomic"
	"time"
)

// budget is Linkerd's retry budget: over a sliding window of budgetSlots
// seconds, retries stay within ratio × requests, or floor per second of
// the window (at least one second of it, at most the whole) when that is
// more. Every worker shares it, through atomics: two retries decided at
// once may both pass the last place, and a slot's first use of a second
// may lose an increment racing its reset, so the bound is kept to within
// the workers deciding at that instant.
type budget struct {
	ratio, floor float64
	slots        [budgetSlots]budgetSlot
}

// budgetSlot counts one second's requests and retries.
type budgetSlot struct {
	sec               atomic.Int64
	requests, retries atomic.Int64
	_                 [40]byte // one slot a cache line
}

// slot returns the slot of second sec, emptied when it held an older one.
func (b *budget) slot(sec int64) *budgetSlot {
	s := &b.slots[sec%budgetSlots]
	if old := s.sec.Load(); old != sec && s.sec.CompareAndSwap(old, sec) {
		s.requests.Store(0)
		s.retries.Store(0)
	}
	return s
}

// deposit counts a request begun at offset now.
func (b *budget) deposit(now time.Duration) {
	b.slot(int64(now / time.Second)).requests.Add(1)
}

// withdraw reports whether a retry at offset now is within the budget,
// and counts it when it is.
func (b *budget) withdraw(now time.Duration) bool {
	sec := int64(now / time.Second)
	var requests, retries int64
	for i := range b.slots {
		s := &b.slots[i]
		if at := s.sec.Load(); at > sec-budgetSlots && at <= sec {
			requests += s.requests.Load()
			retries += s.retries.Load()
		}
	}
	span := min(max(now, time.Second), RetryBudgetWindow).Seconds()
	limit := max(b.ratio*float64(requests), b.floor*span)
	if float64(retries+1) > limit {
		return false
	}
	b.slot(sec).retries.Add(1)
	return true
}
