package train

import (
	"context"
	"sync"

	"radcap/data"
)

// batchStream delivers batches start, start+1, ... of one epoch of a
// loader in order, built ahead by a few worker goroutines. Unlike
// data.Loader.Epoch it can begin in the middle of an epoch, which is what
// resuming a run needs: the batches depend only on the loader's seed, the
// epoch and the index, so batch k is the same whether the epoch started
// at 0 or at k.
type batchStream struct {
	out    []chan batchResult
	sem    chan struct{} // one token per batch in preparation or ready
	next   int
	end    int
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type batchResult struct {
	b   *data.Batch
	err error
}

// newBatchStream starts building batches [start, loader.NumBatches()) of
// epoch with workers goroutines, at most 2*workers ahead.
func newBatchStream(l *data.Loader, epoch, start, workers int) *batchStream {
	workers = max(1, workers)
	ctx, cancel := context.WithCancel(context.Background())
	ahead := 2 * workers
	s := &batchStream{next: start, end: l.NumBatches(), cancel: cancel, sem: make(chan struct{}, ahead)}
	s.out = make([]chan batchResult, ahead)
	for i := range s.out {
		s.out[i] = make(chan batchResult, 1)
	}
	jobs := make(chan int)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(jobs)
		for k := start; k < s.end; k++ {
			// With at most ahead batches outstanding, slot k%ahead is
			// free: batch k-ahead has been taken.
			select {
			case s.sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- k:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range workers {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for k := range jobs {
				b, err := l.Batch(epoch, k)
				s.out[k%ahead] <- batchResult{b, err} // buffered and free, never blocks
			}
		}()
	}
	return s
}

// Next returns the next batch, or ok false after the last one.
func (s *batchStream) Next() (b *data.Batch, ok bool, err error) {
	if s.next >= s.end {
		return nil, false, nil
	}
	r := <-s.out[s.next%len(s.out)]
	<-s.sem
	s.next++
	if r.err != nil {
		return nil, false, r.err
	}
	return r.b, true, nil
}

// Close stops the workers and waits for them.
func (s *batchStream) Close() {
	s.cancel()
	s.wg.Wait()
}
