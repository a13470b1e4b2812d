package deploy

import (
	"context"
	"time"

	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/sim"
	"github.com/snnsim/snnsim/snn/learn"
)

// EvalOptions control [Evaluate].
type EvalOptions struct {
	Units      float64 // fixed-point units per threshold (default DefaultUnits)
	Stochastic bool    // escape-noise firing on the board (else threshold firing)
	Seed       uint64  // seeds of the stochastic runs
	Progress   func()  // called after every sample
}

// EvalResult is what [Evaluate] measured.
type EvalResult struct {
	N       int     `json:"n"`
	Acc     float64 `json:"acc"`
	Spikes  int64   `json:"spikes"`  // output spikes received (readout only)
	Inputs  int64   `json:"inputs"`  // input events sent
	Seconds float64 `json:"seconds"` // wall time of the runs
	PerS    float64 `json:"samples_per_s"`
}

// Evaluate quantizes m (only the readout reports its spikes), programs the runner and
// classifies n samples x on it by the readout's spike counts: the input of sample r is
// the Poisson draw of (learn.EncodeSeed, r), the one m.Accuracy with noise off uses,
// streamed tick by tick. With Stochastic the board fires with its own escape noise
// (board seed from (Seed, r)).
func Evaluate(ctx context.Context, m *learn.Model, r Runner, x []float32, y []uint8, n int, opt EvalOptions) (*EvalResult, error) {
	q, err := Quantize(m, Options{Units: opt.Units, Stochastic: opt.Stochastic, ReadoutOnly: true, Seed: 1})
	if err != nil {
		return nil, err
	}
	if err := r.Program(ctx, q.Fixed); err != nil {
		return nil, err
	}
	res := &EvalResult{N: n}
	t0 := time.Now()
	var ticks [][]sim.FixedInput
	var out [][]int32
	ok := 0
	in := m.In()
	for s := range n {
		ptr, ids, err := m.EncodeSpikes(x[s*in:(s+1)*in], learn.EncodeSeed, uint64(s))
		if err != nil {
			return nil, err
		}
		ticks = Ticks(ticks, ptr, ids)
		res.Inputs += int64(len(ids))
		seed := uint32(lr.Hash(opt.Seed, uint64(s), 0xe7a1)) | 1
		if out, err = r.Run(ctx, seed, ticks, out); err != nil {
			return nil, err
		}
		for _, sp := range out {
			res.Spikes += int64(len(sp))
		}
		if Predict(q, out) == int(y[s]) {
			ok++
		}
		if opt.Progress != nil {
			opt.Progress()
		}
	}
	res.Seconds = time.Since(t0).Seconds()
	if n > 0 {
		res.Acc = float64(ok) / float64(n)
	}
	if res.Seconds > 0 {
		res.PerS = float64(n) / res.Seconds
	}
	return res, nil
}
