package deploy

import (
	"context"
	"fmt"
	"github.com/snnsim/snnsim/internal/nncore"
	"slices"
	"time"

	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/sim"
	"github.com/snnsim/snnsim/snn/learn"
)

// Report is the fidelity of a deployed model: accuracy and spike agreement of the float
// engine, the fixed-point simulator and the board on the same input spikes.
type Report struct {
	N          int     `json:"n"`
	Steps      int     `json:"steps"`
	Stochastic bool    `json:"stochastic"` // escape-noise firing (else threshold firing)
	Units      float64 `json:"units"`
	Saturated  int     `json:"saturated_weights"`

	AccFloat float64 `json:"acc_float"`
	AccFixed float64 `json:"acc_fixed"`
	AccBoard float64 `json:"acc_board,omitempty"`

	// Spikes of every neuron over the N samples.
	SpikesFloat int64 `json:"spikes_float"`
	SpikesFixed int64 `json:"spikes_fixed"`
	SpikesBoard int64 `json:"spikes_board,omitempty"`
	// SpikesBoth is the number of (sample, neuron, tick) spikes of the float engine that
	// the fixed-point simulator fires too; FloatFixedAgree = 2·SpikesBoth/(SpikesFloat +
	// SpikesFixed) (1 = the same spikes), PredFloatFixed the fraction of samples with the
	// same predicted class.
	SpikesBoth      int64   `json:"spikes_both"`
	FloatFixedAgree float64 `json:"float_fixed_agree"`
	PredFloatFixed  float64 `json:"pred_float_fixed"`
	// BoardMismatches counts (sample, tick) pairs whose spike sets differ between the
	// fixed-point simulator and the board (0 = bit-exact); BoardAgree the fraction of
	// (sample, neuron, tick) decisions that agree.
	BoardMismatches int64   `json:"board_mismatch_ticks"`
	BoardAgree      float64 `json:"board_agree"`
	Board           bool    `json:"board"`
	Seconds         float64 `json:"seconds"`
}

// FidelityOptions control [Fidelity].
type FidelityOptions struct {
	// Seed seeds the stochastic runs (sample r runs with the board seed derived from
	// (Seed, r), the float engine with the stream of (Seed, r)).
	Seed uint64
	// Progress, when set, is called after every sample.
	Progress func()
}

// Fidelity runs n samples x (n × In, labels y) through the float model m, the fixed-point
// simulator running q and, when board is not nil, a board programmed with q.Fixed
// (Runner.Program done by the caller), on the same input spikes: the Poisson draw of
// (learn.EncodeSeed, r), the one m.Accuracy with noise off uses. q.Fixed fires by
// threshold or stochastically (Options.Stochastic) and the float engine likewise.
func Fidelity(ctx context.Context, m *learn.Model, q *Quantized, board Runner, x []float32, y []uint8, n int, opt FidelityOptions) (*Report, error) {
	t0 := time.Now()
	stoch := false
	for _, p := range q.Fixed.Params {
		stoch = stoch || p.Stochastic
	}
	for _, p := range q.Fixed.Params {
		if !p.Output {
			return nil, fmt.Errorf("deploy: fidelity needs every neuron to be an output neuron")
		}
	}
	rep := &Report{N: n, Steps: m.Cfg.Steps, Stochastic: stoch, Units: q.Units, Saturated: q.Saturated, Board: board != nil}
	ref := &SimRunner{}
	if err := ref.Program(ctx, q.Fixed); err != nil {
		return nil, err
	}
	in, L, T := m.In(), m.Cfg.Layers(), m.Cfg.Steps
	nn := q.Fixed.NumNeurons()
	var ticks [][]sim.FixedInput
	var fx, bd [][]int32
	var okFloat, okFixed, okBoard, samePred int
	var cells, cellsAgree int64
	for r := range n {
		xr := x[r*in : (r+1)*in]
		ptr, ids, err := m.EncodeSpikes(xr, learn.EncodeSeed, uint64(r))
		if err != nil {
			return nil, err
		}
		runSeed := lr.Hash(opt.Seed, uint64(r), 0x72756e)
		fl, zf, err := m.SimulateSpikes(ptr, ids, stoch, runSeed)
		if err != nil {
			return nil, err
		}
		ticks = Ticks(ticks, ptr, ids)
		seed := uint32(lr.Hash(opt.Seed, uint64(r), 0xf1de)) | 1
		if fx, err = ref.Run(ctx, seed, ticks, fx); err != nil {
			return nil, err
		}
		pf := nncore.Argmax(zf)
		px := nncore.Argmax(countLogits(q, fx))
		if pf == int(y[r]) {
			okFloat++
		}
		if px == int(y[r]) {
			okFixed++
		}
		if pf == px {
			samePred++
		}
		// Spikes of the float engine in fixed-model numbering, per tick.
		for tk := range T {
			var want []int32
			for pop := 1; pop <= L; pop++ {
				for _, j := range fl[pop].IDs[fl[pop].Ptr[tk]:fl[pop].Ptr[tk+1]] {
					want = append(want, int32(q.First[pop])+j)
				}
			}
			rep.SpikesFloat += int64(len(want))
			rep.SpikesFixed += int64(len(fx[tk]))
			rep.SpikesBoth += int64(intersect(want, fx[tk]))
		}
		if board != nil {
			if bd, err = board.Run(ctx, seed, ticks, bd); err != nil {
				return nil, err
			}
			if nncore.Argmax(countLogits(q, bd)) == int(y[r]) {
				okBoard++
			}
			for tk := range T {
				rep.SpikesBoard += int64(len(bd[tk]))
				if !slices.Equal(bd[tk], fx[tk]) {
					rep.BoardMismatches++
				}
				both := int64(intersect(bd[tk], fx[tk]))
				cellsAgree += int64(nn) - (int64(len(bd[tk])) + int64(len(fx[tk])) - 2*both)
				cells += int64(nn)
			}
		}
		if opt.Progress != nil {
			opt.Progress()
		}
	}
	if n > 0 {
		rep.AccFloat = float64(okFloat) / float64(n)
		rep.AccFixed = float64(okFixed) / float64(n)
		rep.PredFloatFixed = float64(samePred) / float64(n)
		if board != nil {
			rep.AccBoard = float64(okBoard) / float64(n)
		}
	}
	if s := rep.SpikesFloat + rep.SpikesFixed; s > 0 {
		rep.FloatFixedAgree = 2 * float64(rep.SpikesBoth) / float64(s)
	}
	if cells > 0 {
		rep.BoardAgree = float64(cellsAgree) / float64(cells)
	}
	rep.Seconds = time.Since(t0).Seconds()
	return rep, nil
}

// countLogits returns the readout's spike counts (the logits up to the scale) of a run's
// spikes.
func countLogits(q *Quantized, spikes [][]int32) []float32 {
	L := len(q.Sizes) - 1
	z := make([]float32, q.Sizes[L])
	for _, s := range spikes {
		for _, i := range s {
			if int(i) >= q.First[L] {
				z[int(i)-q.First[L]]++
			}
		}
	}
	return z
}

// Predict returns the class a run's readout counts give (the first of equal counts).
func Predict(q *Quantized, spikes [][]int32) int { return nncore.Argmax(countLogits(q, spikes)) }

// intersect counts the common values of two ascending slices.
func intersect(a, b []int32) int {
	n, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			n++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return n
}
