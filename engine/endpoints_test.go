package engine

import (
	"slices"
	"testing"
)

func TestEndpointsSetSortsDedupsAndCountsChanges(t *testing.T) {
	s := NewEndpoints()
	if got := s.List(); len(got) != 0 || s.load().gen != 1 {
		t.Fatalf("new set = %v gen %d, want empty at 1", got, s.load().gen)
	}
	if (&Endpoints{}).load().gen != 0 {
		t.Fatal("a zero Endpoints is not at generation 0")
	}
	s.Set([]Endpoint{{"10.0.0.2:80", "v1"}, {"10.0.0.1:80", "v1"}, {"10.0.0.2:80", "v2"}})
	want := []Endpoint{{"10.0.0.1:80", "v1"}, {"10.0.0.2:80", "v2"}}
	if got := s.List(); !slices.Equal(got, want) {
		t.Fatalf("List = %v, want %v", got, want)
	}
	gen := s.load().gen
	if gen != 2 {
		t.Fatalf("gen after one change = %d, want 2", gen)
	}
	s.Set([]Endpoint{{"10.0.0.2:80", "v2"}, {"10.0.0.1:80", "v1"}})
	if s.load().gen != gen {
		t.Fatalf("an unchanged set moved the generation to %d", s.load().gen)
	}
	s.Set(nil)
	if got := s.List(); len(got) != 0 || s.load().gen != gen+1 {
		t.Fatalf("after Set(nil): %v gen %d", got, s.load().gen)
	}
}
