package autograd

import (
	"fmt"
	"runtime"
	"sync"

	"radcap/tensor"
)

// float is the element type the fused kernels are generic over.
type float interface{ ~float32 | ~float64 }

// data returns the elements of a contiguous F32 (T=float32) or F64
// (T=float64) tensor; writes go through. Callers make t contiguous first.
func data[T float](t *tensor.Tensor) []T {
	var z T
	if _, ok := any(z).(float32); ok {
		return any(t.F32()).([]T)
	}
	return any(t.F64()).([]T)
}

// isF32 reports whether t is float32 and panics unless it is F32 or F64.
func isF32(op string, t *tensor.Tensor) bool {
	switch t.DType() {
	case tensor.F32:
		return true
	case tensor.F64:
		return false
	}
	panic(fmt.Sprintf("autograd.%s: dtype %v (need float32 or float64)", op, t.DType()))
}

// sameDType panics unless all tensors share a's dtype.
func sameDType(op string, a *tensor.Tensor, ts ...*tensor.Tensor) {
	for _, t := range ts {
		if t != nil && t.DType() != a.DType() {
			panic(fmt.Sprintf("autograd.%s: dtypes %v and %v differ", op, a.DType(), t.DType()))
		}
	}
}

// parallelMin is the amount of work (about one multiply-add each) below
// which a kernel runs on the calling goroutine.
const parallelMin = 1 << 15

// parallelFor calls f over [0, n) split into contiguous chunks, one per CPU,
// when n items of cost each are worth spreading; otherwise f(0, n) directly.
func parallelFor(n, cost int, f func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if workers <= 1 || n < 2 || n*max(cost, 1) < parallelMin {
		f(0, n)
		return
	}
	workers = min(workers, n)
	chunk := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	wg.Wait()
}

// contig returns t's values as a contiguous tensor (t itself if it is).
func contig(t *tensor.Tensor) *tensor.Tensor { return t.Contiguous() }

// normAxis turns a possibly negative axis into an index into rank dims.
func normAxis(op string, axis, rank int) int {
	a := axis
	if a < 0 {
		a += rank
	}
	if a < 0 || a >= rank {
		panic(fmt.Sprintf("autograd.%s: axis %d out of range for rank %d", op, axis, rank))
	}
	return a
}

// lastDim returns the size of t's last dimension and the number of rows
// (the product of the others); t must have rank >= 1.
func lastDim(op string, t *tensor.Tensor) (rows, n int) {
	if t.Rank() == 0 {
		panic(fmt.Sprintf("autograd.%s: needs rank >= 1, got a scalar", op))
	}
	n = t.Dim(-1)
	if n == 0 {
		return 0, 0
	}
	return t.Numel() / n, n
}
