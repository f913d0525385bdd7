package cuda

import (
	"fmt"
	"math/bits"
	"sync"
)

// memDriver is the part of the driver the caching allocator needs; the
// Device implements it with cuMemAlloc_v2/cuMemFree_v2 and the tests with a
// fake.
type memDriver interface {
	memAlloc(bytes uint64) (uint64, error)
	memFree(ptr uint64) error
}

// AllocStats describes the caching allocator's traffic.
type AllocStats struct {
	DriverAllocs    int    // cuMemAlloc calls that succeeded
	DriverFrees     int    // cuMemFree calls (by EmptyCache or Close)
	DriverBytes     uint64 // bytes currently held from the driver (in use + cached)
	PeakDriverBytes uint64 // maximum of DriverBytes
	InUseBytes      uint64 // bytes of the blocks handed out and not yet freed
	PeakInUseBytes  uint64 // maximum of InUseBytes
	Hits            int    // allocations served from a free list
	Misses          int    // allocations that went to the driver
}

// allocator is a caching allocator: blocks are rounded up to a bucket size
// and, when freed, kept on that bucket's free list for the next request of
// the same bucket. It never splits or merges blocks.
type allocator struct {
	mu    sync.Mutex
	drv   memDriver
	free  map[uint64][]uint64 // bucket size -> free blocks
	live  map[uint64]uint64   // block -> bucket size, for blocks in use
	stats AllocStats
}

func newAllocator(drv memDriver) *allocator {
	return &allocator{drv: drv, free: map[uint64][]uint64{}, live: map[uint64]uint64{}}
}

// bucketSize rounds a request up: to a multiple of 512 bytes up to 1 MiB,
// and above that to one of four steps per power of two (2^k·{1, 1.25,
// 1.5, 1.75}), so that at most a fifth of a large block is slack.
func bucketSize(n uint64) uint64 {
	if n == 0 {
		n = 1
	}
	const small = 1 << 20
	if n <= small {
		return (n + 511) &^ 511
	}
	k := 63 - bits.LeadingZeros64(n) // 2^k <= n < 2^(k+1)
	step := uint64(1) << (k - 2)
	return (n + step - 1) / step * step
}

// alloc returns a block of at least n bytes.
func (a *allocator) alloc(n uint64) (uint64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	size := bucketSize(n)
	if l := a.free[size]; len(l) > 0 {
		p := l[len(l)-1]
		a.free[size] = l[:len(l)-1]
		a.stats.Hits++
		a.use(p, size)
		return p, nil
	}
	p, err := a.drv.memAlloc(size)
	if err != nil {
		// Give the cached blocks back and try once more.
		if ferr := a.emptyLocked(); ferr != nil {
			return 0, fmt.Errorf("cuda: allocate %d bytes: %w (and freeing the cache: %v)", size, err, ferr)
		}
		p, err = a.drv.memAlloc(size)
		if err != nil {
			return 0, fmt.Errorf("cuda: allocate %d bytes (%d in use): %w", size, a.stats.InUseBytes, err)
		}
	}
	a.stats.Misses++
	a.stats.DriverAllocs++
	a.stats.DriverBytes += size
	a.stats.PeakDriverBytes = max(a.stats.PeakDriverBytes, a.stats.DriverBytes)
	a.use(p, size)
	return p, nil
}

func (a *allocator) use(p, size uint64) {
	a.live[p] = size
	a.stats.InUseBytes += size
	a.stats.PeakInUseBytes = max(a.stats.PeakInUseBytes, a.stats.InUseBytes)
}

// release puts a block back on its free list.
func (a *allocator) release(p uint64) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	size, ok := a.live[p]
	if !ok {
		return fmt.Errorf("cuda: free of %#x, which is not an allocated block (double free?)", p)
	}
	delete(a.live, p)
	a.stats.InUseBytes -= size
	a.free[size] = append(a.free[size], p)
	return nil
}

// emptyCache returns every cached (free) block to the driver.
func (a *allocator) emptyCache() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.emptyLocked()
}

func (a *allocator) emptyLocked() error {
	var first error
	for size, l := range a.free {
		for _, p := range l {
			if err := a.drv.memFree(p); err != nil && first == nil {
				first = err
			}
			a.stats.DriverFrees++
			a.stats.DriverBytes -= size
		}
		delete(a.free, size)
	}
	return first
}

// releaseAll frees every block, in use or cached (Device.Close).
func (a *allocator) releaseAll() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for p, size := range a.live {
		a.free[size] = append(a.free[size], p)
		a.stats.InUseBytes -= size
	}
	clear(a.live)
	return a.emptyLocked()
}

func (a *allocator) snapshot() AllocStats {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stats
}

// resetPeak sets the peaks to the current values.
func (a *allocator) resetPeak() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.stats.PeakDriverBytes, a.stats.PeakInUseBytes = a.stats.DriverBytes, a.stats.InUseBytes
}
