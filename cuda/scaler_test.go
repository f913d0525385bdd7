package cuda

import "testing"

func TestLossScaler(t *testing.T) {
	s := NewLossScaler()
	s.Interval = 3
	steps := []struct {
		inf  bool
		want float32
	}{{false, 65536}, {false, 65536}, {false, 131072}, {true, 65536}, {false, 65536}, {true, 32768}, {false, 32768}, {false, 32768}, {false, 65536}}
	for i, st := range steps {
		if err := s.Update(st.inf); err != nil {
			t.Fatal(err)
		}
		if s.Scale != st.want {
			t.Fatalf("step %d (inf %v): scale %v, want %v", i, st.inf, s.Scale, st.want)
		}
	}
	bad := &LossScaler{Scale: 1, Growth: 2, Backoff: 1.5, Interval: 1}
	if err := bad.Update(false); err == nil {
		t.Fatal("backoff 1.5 accepted")
	}
}
