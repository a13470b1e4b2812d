package lr

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// ParallelFor calls fn(worker, i) for i = 0..n-1 on up to workers goroutines
// (GOMAXPROCS when workers <= 0). worker in [0, workers) identifies the goroutine, for
// scratch space only: results must depend on i alone, and each i must write outputs of
// its own. Under that rule the results are bit-identical at any number of workers, which
// is how every kernel of the estimator stays deterministic.
func ParallelFor(workers, n int, fn func(worker, i int)) {
	workers = Workers(workers)
	workers = min(workers, n)
	if workers <= 1 {
		for i := range n {
			fn(0, i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(w, i)
			}
		})
	}
	wg.Wait()
}

// Workers resolves a worker count: GOMAXPROCS when w <= 0.
func Workers(w int) int {
	if w <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return w
}
