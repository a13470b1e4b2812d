package deploy

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnsim/snnsim/hw"
	"github.com/snnsim/snnsim/hw/board"
	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/optim"
	"github.com/snnsim/snnsim/snn/learn"
)

// tinyConfig is a small board-ready model: count readout, Poisson input, board τ.
func tinyConfig(sizes []int, steps int) learn.Config {
	c := learn.DefaultConfig(sizes, steps)
	c.Readout = learn.ReadoutCount
	c.TauM, c.TauS = 8, 4
	c.InitGain = 3
	return SnapConfig(c)
}

// toyData returns n samples of a 4-class task over 16 pixels: class c lights pixels
// 4c..4c+3 (intensity 0.6–1) and a few random others faintly.
func toyData(n int, seed uint64) ([]float32, []uint8) {
	rng := rand.New(rand.NewPCG(seed, 7))
	x := make([]float32, n*16)
	y := make([]uint8, n)
	for r := range n {
		c := rng.IntN(4)
		y[r] = uint8(c)
		for j := range 16 {
			v := float32(0)
			if j/4 == c {
				v = 0.6 + 0.4*rng.Float32()
			} else if rng.Float32() < 0.2 {
				v = 0.3 * rng.Float32()
			}
			x[r*16+j] = v
		}
	}
	return x, y
}

func openEmu(t testing.TB, cfg board.Config) *hw.Board {
	t.Helper()
	b, _, err := hw.Open(context.Background(), "emu", hw.OpenOptions{Emu: cfg})
	require.NoError(t, err)
	t.Cleanup(func() { b.Close() })
	return b
}

func TestTauShiftMapping(t *testing.T) {
	for d := uint8(1); d <= 15; d++ {
		tau := TauForShift(d, 1)
		assert.Equal(t, d, ShiftForTau(tau, 1), "d=%d tau=%g", d, tau)
		assert.InDelta(t, 1-math.Ldexp(1, -int(d)), math.Exp(-1/tau), 1e-12)
	}
	assert.InDelta(t, 7.4889, TauForShift(3, 1), 1e-4)
	c := SnapConfig(learn.DefaultConfig([]int{4, 2}, 5))
	assert.Equal(t, TauForShift(3, 1), c.TauM) // 10 ms → d = 3
	assert.Equal(t, TauForShift(2, 1), c.TauS) // 5 ms → d = 2
}

func TestQuantize(t *testing.T) {
	m, err := learn.New(tinyConfig([]int{16, 12, 4}, 10), 1)
	require.NoError(t, err)
	q, err := Quantize(m, Options{Stochastic: true})
	require.NoError(t, err)
	fm := q.Fixed
	require.NoError(t, fm.Validate())
	assert.Equal(t, 16, fm.NumNeurons())
	assert.Equal(t, 16, fm.NumAxons())
	assert.Equal(t, []int{0, 0, 12}, q.First)
	p := fm.Params[0]
	assert.Equal(t, int16(DefaultUnits), p.Theta)
	assert.Equal(t, int16(DefaultUnits), p.Reset)
	assert.Equal(t, ShiftForTau(m.Cfg.TauM, 1), p.DecayV)
	assert.True(t, p.Stochastic && p.Output)
	// Every int8 weight is the float weight times the gain over the shift, rounded.
	for l := range 2 {
		w := m.Weights(l)
		div := math.Ldexp(1, int(fm.Shift[l][l+1]))
		nPost := m.Cfg.Sizes[l+1]
		for j := range m.Cfg.Sizes[l] {
			row := j
			if l > 0 {
				row = fm.NumAxons() + q.First[l] + j
			}
			_, ws := fm.Row(row)
			for i, v := range ws {
				assert.InDelta(t, float64(w[j*nPost+i])*q.Gain[l]/div, float64(v), 0.5+1e-9)
			}
		}
		// The shift is the smallest that fits.
		if s := fm.Shift[l][l+1]; s > 0 {
			mx := 0.0
			for _, v := range w {
				mx = max(mx, math.Abs(float64(v)*q.Gain[l]))
			}
			assert.Greater(t, mx/math.Ldexp(1, int(s-1)), 127.5)
		}
	}
	// Snapped τ: the gain is exactly Units·coupling, and the trace coefficients are the
	// float engine's.
	c0, err := m.Sim.TraceCoef(0)
	require.NoError(t, err)
	assert.InDelta(t, c0.AM, q.Coef[0].AM, 1e-6)
	assert.InDelta(t, c0.AS, q.Coef[0].AS, 1e-6)
	assert.InDelta(t, c0.C, q.Coef[0].C, 1e-6)
}

// TestQuantizeRefusesNaN: a diverged model (a NaN weight) is an error, not garbage int8
// weights on the board.
func TestQuantizeRefusesNaN(t *testing.T) {
	m, err := learn.New(tinyConfig([]int{16, 12, 4}, 10), 1)
	require.NoError(t, err)
	q, err := Quantize(m, Options{})
	require.NoError(t, err)
	m.Weights(1)[3] = float32(math.NaN())
	err = q.Requantize(m)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "projection 2 has a NaN weight")
	_, err = Quantize(m, Options{})
	require.Error(t, err)
}

func TestCheckFit(t *testing.T) {
	c := learn.DefaultConfig([]int{784, 500, 10}, 25)
	err := CheckFit(&c, 256, 256)
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrNoFit))
	for _, want := range []string{"784 inputs", "mnist@pool2", "510 neurons", "--hidden 246", "--readout count"} {
		assert.Contains(t, err.Error(), want)
	}
	c = tinyConfig([]int{196, 246, 10}, 25)
	assert.NoError(t, CheckFit(&c, 256, 256))
	assert.Error(t, CheckFit(&c, 128, 256))
}

// The board and the fixed-point simulator give the same spikes, by threshold and with
// stochastic firing; the float engine agrees closely on a board-snapped model.
func TestFidelityBoardExact(t *testing.T) {
	ctx := context.Background()
	m, err := learn.New(tinyConfig([]int{16, 24, 4}, 20), 2)
	require.NoError(t, err)
	x, y := toyData(12, 3)
	for _, stoch := range []bool{false, true} {
		q, err := Quantize(m, Options{Stochastic: stoch, Seed: 5})
		require.NoError(t, err)
		br := &BoardRunner{B: openEmu(t, board.Config{}), Verify: true}
		require.NoError(t, br.Program(ctx, q.Fixed))
		rep, err := Fidelity(ctx, m, q, br, x, y, 12, FidelityOptions{Seed: 9})
		require.NoError(t, err)
		assert.Zero(t, rep.BoardMismatches, "stochastic=%v", stoch)
		assert.Equal(t, 1.0, rep.BoardAgree)
		assert.Equal(t, rep.SpikesFixed, rep.SpikesBoard)
		assert.Equal(t, rep.AccFixed, rep.AccBoard)
		assert.Greater(t, rep.SpikesFixed, int64(100))
		if !stoch {
			assert.Greater(t, rep.FloatFixedAgree, 0.9, "%+v", rep)
		}
	}
}

// The mirror's probabilities from the board's spikes are the table entries the
// simulator used, and the trainer's scores from the board equal those the simulator
// gives for the same seed; whole gradients are bit-identical.
func TestScoreFromBoardEqualsSim(t *testing.T) {
	ctx := context.Background()
	cfg := tinyConfig([]int{16, 10, 8, 4}, 15)
	x, y := toyData(6, 4)
	grads := map[string][][]float32{}
	for _, kind := range []string{"board", "sim"} {
		m, err := learn.New(cfg, 3)
		require.NoError(t, err)
		var r Runner = &SimRunner{}
		if kind == "board" {
			r = &BoardRunner{B: openEmu(t, board.Config{})}
		}
		tr, err := NewTrainer(ctx, m, r, LoopConfig{Copies: 3, Seed: 11})
		require.NoError(t, err)
		st, err := tr.Grad(x, y, 6, 0)
		require.NoError(t, err)
		assert.Equal(t, 18, st.Forwards)
		assert.Zero(t, tr.Stats().Inconsistent)
		for _, p := range tr.Params() {
			grads[kind] = append(grads[kind], slices.Clone(p.Grad))
		}
		if kind != "board" {
			continue
		}
		// The last sample's copies, again in the simulator with the same seeds.
		q := tr.Quantized()
		ref := q.Fixed.NewRun()
		N := q.Fixed.NumNeurons()
		for k := range 3 {
			fm := *q.Fixed
			fm.Seed = tr.CopySeed(0, 5, k)
			ref = fm.NewRun()
			probs := make([]uint16, cfg.Steps*N)
			var spikes [][]int32
			for tk, ev := range tr.in {
				spikes = append(spikes, append([]int32{}, ref.Step(ev)...))
				copy(probs[tk*N:], ref.Probs())
			}
			for tk := range cfg.Steps {
				assert.Equal(t, spikes[tk], append([]int32{}, tr.spikes[k][tk]...), "copy %d tick %d spikes", k, tk)
			}
			got := make([]uint16, cfg.Steps*N)
			assert.Zero(t, NewMirror(q.Fixed).Replay(tr.in, spikes, got))
			assert.Equal(t, probs, got, "copy %d probabilities", k)
			for pop := 1; pop <= cfg.Layers(); pop++ {
				size := cfg.Sizes[pop]
				want := make([]float32, cfg.Steps*size)
				for tk := range cfg.Steps {
					for i := range size {
						s := 0.0
						if slices.Contains(spikes[tk], int32(q.First[pop]+i)) {
							s = 1
						}
						want[tk*size+i] = float32((s - float64(probs[tk*N+q.First[pop]+i])/65536) / q.Beta[pop])
					}
				}
				assert.Equal(t, want, tr.Delta(k, pop), "copy %d population %d scores", k, pop)
			}
		}
	}
	require.Len(t, grads["board"], 3)
	for l := range grads["board"] {
		assert.Equal(t, grads["sim"][l], grads["board"][l], "layer %d", l+1)
		assert.NotZero(t, maxAbs(grads["board"][l]), "layer %d", l+1)
	}
}

func maxAbs(v []float32) float32 {
	var m float32
	for _, x := range v {
		m = max(m, float32(math.Abs(float64(x))))
	}
	return m
}

// The expectation of the board-side estimator is the gradient: on a toy task, training
// in the loop on the software board lowers the loss and classifies well.
func TestLoopTrains(t *testing.T) {
	ctx := context.Background()
	m, err := learn.New(tinyConfig([]int{16, 20, 4}, 15), 5)
	require.NoError(t, err)
	x, y := toyData(160, 6)
	tx, ty := toyData(40, 7)
	r := &BoardRunner{B: openEmu(t, board.Config{})}
	tr, err := NewTrainer(ctx, m, r, LoopConfig{Copies: 4, Seed: 1})
	require.NoError(t, err)
	opt, err := optim.New("adam", 0.02)
	require.NoError(t, err)
	before := m.Accuracy(tx, ty, 40, false, 0)
	_, err = lr.Train(ctx, tr, opt, lr.Data{X: x, Y: y, N: 160, Dim: 16}, lr.TrainConfig{Epochs: 3, Batch: 8, Seed: 2}, lr.TrainState{})
	require.NoError(t, err)
	q, err := Quantize(m, Options{Seed: 1})
	require.NoError(t, err)
	sr := &SimRunner{}
	require.NoError(t, sr.Program(ctx, q.Fixed))
	rep, err := Fidelity(ctx, m, q, nil, tx, ty, 40, FidelityOptions{})
	require.NoError(t, err)
	t.Logf("accuracy before %.2f, after (float) %.2f, (fixed) %.2f; %+v", before, rep.AccFloat, rep.AccFixed, tr.Stats())
	assert.GreaterOrEqual(t, rep.AccFixed, 0.7)
	assert.Equal(t, 60, tr.Stats().WeightWrites)
	assert.Greater(t, r.BytesWritten, int64(60*(16*20+20*4)))
}

// A non-ideal board departs from the mirror (the mirror counts impossible decisions),
// repeatably for a seed.
func TestNonIdealBoard(t *testing.T) {
	ctx := context.Background()
	m, err := learn.New(tinyConfig([]int{16, 24, 4}, 20), 2)
	require.NoError(t, err)
	x, y := toyData(8, 3)
	q, err := Quantize(m, Options{Seed: 5})
	require.NoError(t, err)
	var reps []*Report
	for range 2 {
		br := &BoardRunner{B: openEmu(t, board.Config{NonIdeal: board.NonIdeal{Seed: 1, ThetaMismatch: 0.2, WeightMismatch: 0.2, WeightNoise: 1}})}
		require.NoError(t, br.Program(ctx, q.Fixed))
		rep, err := Fidelity(ctx, m, q, br, x, y, 8, FidelityOptions{Seed: 9})
		require.NoError(t, err)
		reps = append(reps, rep)
		// The same SEED repeats the run exactly (read noise included).
		in := Ticks(nil, []int32{0, 6, 12, 12, 12}, []int32{0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5})
		a, err := br.Run(ctx, 3, in, nil)
		require.NoError(t, err)
		b, err := br.Run(ctx, 3, in, nil)
		require.NoError(t, err)
		assert.Equal(t, a, b)
	}
	assert.Positive(t, reps[0].BoardMismatches)
	assert.Equal(t, reps[0].BoardMismatches, reps[1].BoardMismatches)
	assert.Equal(t, reps[0].SpikesBoard, reps[1].SpikesBoard)
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

// The board-side estimator (full noise and layer-wise) gives the same gradient from the
// board as from the fixed-point simulator, bit for bit, and estimates the gradient that
// learn.LR estimates in the float engine.
func TestLoopGradients(t *testing.T) {
	ctx := context.Background()
	cfg := tinyConfig([]int{16, 20, 4}, 15)
	x, y := toyData(16, 6)
	for _, lw := range []bool{false, true} {
		var gs [][][]float32
		for _, kind := range []string{"board", "sim", "float"} {
			m, err := learn.New(cfg, 5)
			require.NoError(t, err)
			var l lr.Learner
			switch kind {
			case "float":
				vr := lr.VR{LayerWise: lw}
				l, err = learn.NewLR(m, learn.LRConfig{Copies: 100, Seed: 1, VR: vr})
			case "board":
				l, err = NewTrainer(ctx, m, &BoardRunner{B: openEmu(t, board.Config{})}, LoopConfig{Copies: 100, Seed: 1, LayerWise: lw})
			default:
				l, err = NewTrainer(ctx, m, &SimRunner{}, LoopConfig{Copies: 100, Seed: 1, LayerWise: lw})
			}
			require.NoError(t, err)
			st, err := l.Grad(x, y, 16, 3)
			require.NoError(t, err)
			if kind == "board" && lw {
				assert.Equal(t, 16*100*2, st.Forwards)
				assert.Zero(t, l.(*Trainer).Stats().Inconsistent)
			}
			var g [][]float32
			for _, p := range l.Params() {
				g = append(g, slices.Clone(p.Grad))
			}
			gs = append(gs, g)
		}
		for layer := range gs[0] {
			assert.Equal(t, gs[1][layer], gs[0][layer], "layer-wise %v layer %d: board and simulator", lw, layer+1)
			c := cosine(gs[0][layer], gs[2][layer])
			t.Logf("layer-wise %v layer %d: cosine(board, float LR) = %.3f", lw, layer+1, c)
			assert.Greater(t, c, 0.8)
		}
	}
}

// TestLoopInvalidate: after something else has programmed the board (an evaluation
// between epochs), Invalidate makes the next Grad program the training model again, so
// the gradient is the one a fresh trainer computes; without it the gradient is wrong.
func TestLoopInvalidate(t *testing.T) {
	ctx := context.Background()
	m, err := learn.New(tinyConfig([]int{16, 20, 4}, 15), 5)
	require.NoError(t, err)
	other, err := learn.New(tinyConfig([]int{16, 20, 4}, 15), 9)
	require.NoError(t, err)
	qo, err := Quantize(other, Options{Seed: 1})
	require.NoError(t, err)
	x, y := toyData(8, 6)
	grads := func() [][]float32 {
		var g [][]float32
		for _, p := range m.Params() {
			g = append(g, slices.Clone(p.Grad))
		}
		return g
	}
	gradAfterOther := func(invalidate bool) [][]float32 {
		r := &BoardRunner{B: openEmu(t, board.Config{})}
		tr, err := NewTrainer(ctx, m, r, LoopConfig{Copies: 4, Seed: 1})
		require.NoError(t, err)
		_, err = tr.Grad(x, y, 8, 0)
		require.NoError(t, err)
		require.NoError(t, r.Program(ctx, qo.Fixed))
		if invalidate {
			tr.Invalidate()
		}
		_, err = tr.Grad(x, y, 8, 1)
		require.NoError(t, err)
		return grads()
	}
	r := &BoardRunner{B: openEmu(t, board.Config{})}
	fresh, err := NewTrainer(ctx, m, r, LoopConfig{Copies: 4, Seed: 1})
	require.NoError(t, err)
	_, err = fresh.Grad(x, y, 8, 1)
	require.NoError(t, err)
	want := grads()
	assert.Equal(t, want, gradAfterOther(true))
	assert.NotEqual(t, want, gradAfterOther(false), "the control: the other model's weights stay on the board")
}
