package sim

import (
	"context"
	"runtime"
	"sync"
)

// Parallel calls fn(k) for k = 0..n-1 on up to workers goroutines (GOMAXPROCS when
// workers <= 0) and returns the error of the lowest k that failed. Work items are
// independent, so results that fn writes at index k do not depend on scheduling: noise
// copies run this way give bit-identical results at any GOMAXPROCS.
func Parallel(ctx context.Context, n, workers int, fn func(k int) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	errs := make([]error, n)
	if workers <= 1 {
		for k := range n {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(k); err != nil {
				return err
			}
		}
		return nil
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for k := range next {
				errs[k] = fn(k)
			}
		})
	}
feed:
	for k := range n {
		select {
		case next <- k:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}

// RunCopies runs one Run of m per seed for steps ticks, in parallel, calling setup (if not
// nil) on each Run before it starts (to attach monitors) and returning the finished Runs
// in seed order.
func RunCopies(ctx context.Context, m *Model, seeds []uint64, steps int64, workers int, setup func(k int, r *Run) error) ([]*Run, error) {
	runs := make([]*Run, len(seeds))
	err := Parallel(ctx, len(seeds), workers, func(k int) error {
		r := m.NewRun(seeds[k])
		if setup != nil {
			if err := setup(k, r); err != nil {
				return err
			}
		}
		runs[k] = r
		return r.Run(ctx, steps)
	})
	return runs, err
}
