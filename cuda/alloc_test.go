package cuda

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// fakeMem is a memDriver with a capacity, handing out increasing
// addresses and recording every live block.
type fakeMem struct {
	next, capacity, used uint64
	live                 map[uint64]uint64
	allocs, frees        int
}

func newFakeMem(capacity uint64) *fakeMem {
	return &fakeMem{next: 1 << 20, capacity: capacity, live: map[uint64]uint64{}}
}

func (f *fakeMem) memAlloc(n uint64) (uint64, error) {
	if f.used+n > f.capacity {
		return 0, errors.New("CUDA_ERROR_OUT_OF_MEMORY")
	}
	p := f.next
	f.next += n + 256
	f.live[p] = n
	f.used += n
	f.allocs++
	return p, nil
}

func (f *fakeMem) memFree(p uint64) error {
	n, ok := f.live[p]
	if !ok {
		return errors.New("CUDA_ERROR_INVALID_VALUE")
	}
	delete(f.live, p)
	f.used -= n
	f.frees++
	return nil
}

func TestBucketSize(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		n := uint64(rng.IntN(1 << uint(rng.IntN(34))))
		b := bucketSize(n)
		if b < n || b < 512 {
			t.Fatalf("bucketSize(%d) = %d, below the request or 512", n, b)
		}
		if b%512 != 0 {
			t.Fatalf("bucketSize(%d) = %d, not a multiple of 512", n, b)
		}
		if n > 1<<20 && float64(b-n) > 0.25*float64(n) {
			t.Fatalf("bucketSize(%d) = %d wastes more than a quarter", n, b)
		}
		if bucketSize(b) != b {
			t.Fatalf("bucketSize not idempotent at %d: %d", b, bucketSize(b))
		}
	}
}

// A training step that repeats the previous step's allocations must be
// served entirely from the cache.
func TestAllocatorRepeatedStepsHitCache(t *testing.T) {
	mem := newFakeMem(1 << 40)
	a := newAllocator(mem)
	rng := rand.New(rand.NewPCG(3, 4))
	sizes := make([]uint64, 300)
	for i := range sizes {
		sizes[i] = uint64(1 + rng.IntN(1<<uint(4+rng.IntN(24))))
	}
	step := func() {
		var held []uint64
		for i, n := range sizes {
			p, err := a.alloc(n)
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, p)
			if i%3 == 2 { // free some early, as activations die in a step
				if err := a.release(held[0]); err != nil {
					t.Fatal(err)
				}
				held = held[1:]
			}
		}
		for _, p := range held {
			if err := a.release(p); err != nil {
				t.Fatal(err)
			}
		}
	}
	step()
	first := a.snapshot()
	if first.DriverAllocs != mem.allocs || first.Misses != first.DriverAllocs {
		t.Fatalf("stats %+v vs %d driver allocations", first, mem.allocs)
	}
	for i := 0; i < 3; i++ {
		step()
	}
	s := a.snapshot()
	if s.DriverAllocs != first.DriverAllocs || mem.allocs != first.DriverAllocs {
		t.Fatalf("later steps allocated from the driver: %d then %d (fake saw %d)", first.DriverAllocs, s.DriverAllocs, mem.allocs)
	}
	if s.Hits != first.Hits+3*len(sizes) {
		t.Fatalf("hits %d, want %d", s.Hits, first.Hits+3*len(sizes))
	}
	if s.InUseBytes != 0 || s.DriverBytes != mem.used || s.PeakDriverBytes < s.DriverBytes {
		t.Fatalf("stats %+v, fake holds %d", s, mem.used)
	}
	if err := a.releaseAll(); err != nil {
		t.Fatal(err)
	}
	if len(mem.live) != 0 || a.snapshot().DriverBytes != 0 {
		t.Fatalf("after releaseAll the fake still holds %d blocks, stats %+v", len(mem.live), a.snapshot())
	}
}

func TestAllocatorDistinctLiveBlocks(t *testing.T) {
	a := newAllocator(newFakeMem(1 << 30))
	seen := map[uint64]bool{}
	for i := 0; i < 100; i++ {
		p, err := a.alloc(1000)
		if err != nil {
			t.Fatal(err)
		}
		if seen[p] {
			t.Fatalf("block %#x handed out twice while live", p)
		}
		seen[p] = true
	}
}

func TestAllocatorDoubleFree(t *testing.T) {
	a := newAllocator(newFakeMem(1 << 30))
	p, err := a.alloc(100)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.release(p); err != nil {
		t.Fatal(err)
	}
	if err := a.release(p); err == nil {
		t.Fatal("double free accepted")
	}
	if err := a.release(12345); err == nil {
		t.Fatal("free of an unknown address accepted")
	}
}

// When the driver is out of memory the cached blocks are returned to it
// and the allocation retried.
func TestAllocatorOOMEmptiesCache(t *testing.T) {
	mem := newFakeMem(4 << 20)
	a := newAllocator(mem)
	p, err := a.alloc(3 << 20)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.release(p); err != nil {
		t.Fatal(err)
	}
	// A different bucket does not fit beside the cached 3 MiB block.
	q, err := a.alloc(2 << 20)
	if err != nil {
		t.Fatalf("allocation after emptying the cache: %v", err)
	}
	if mem.frees != 1 || a.snapshot().DriverFrees != 1 {
		t.Fatalf("driver frees %d, stats %+v", mem.frees, a.snapshot())
	}
	if _, err := a.alloc(3 << 20); err == nil {
		t.Fatal("allocation beyond capacity succeeded")
	} else if want := "CUDA_ERROR_OUT_OF_MEMORY"; !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not carry %q", err, want)
	}
	_ = a.release(q)
}
