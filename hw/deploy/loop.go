package deploy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/sim"
	"github.com/snnsim/snnsim/snn/learn"
)

// LoopConfig sets up chip-in-the-loop training.
type LoopConfig struct {
	// Copies is K, the board runs of each sample (each with its own generator seed);
	// at least 2 (the baseline is leave-one-out over the sample's other copies).
	Copies int
	// Seed is the root of the input encodings and of the board's seeds.
	Seed uint64
	// Units is the fixed-point units per threshold (default DefaultUnits).
	Units float64
	// LayerWise injects noise in one layer at a time (learn.LRConfig.VR.LayerWise): per
	// batch, one clean run of every sample with every neuron firing by threshold, then
	// for each layer K copies of every sample with only that layer stochastic. The
	// layer's input is then the clean run's, the same in all copies, so its score
	// collapses to one product per sample. The board switches modes by rewriting its
	// parameter words, 1 + L times per batch.
	LayerWise bool
}

// LoopStats counts what a [Trainer] did and where the time went.
type LoopStats struct {
	Samples, Runs int           // samples, and board runs (samples × copies)
	Ticks         int64         // ticks run on the board
	WeightWrites  int           // times the weights were re-quantized and written back
	Inconsistent  int           // firing decisions the mirror found impossible (0 on an ideal board)
	Board         time.Duration // time spent in Runner.Run (link and board)
	Write         time.Duration // time spent writing weights
	Host          time.Duration // encoding, mirror, scores and accumulation
}

// Trainer trains a [learn.Model] by the likelihood-ratio method with the forward passes
// run by a board (chip in the loop). For each sample it encodes the input once, then for
// each of the K copies seeds the board's generator, resets it and runs the T ticks with
// the board's own stochastic firing, collecting every spike of every neuron (all are
// output neurons). The host replays the run in the bit-exact [Mirror] to get every
// firing probability p, forms the scores δ = (s − p)/β, the count readout's loss and a
// leave-one-out baseline, and accumulates Σ_{n,k} c_{n,k} Σ_t δ(t) ē(t)ᵀ exactly as
// learn.LR does (sim.BackFilter with the fixed-point decays, sim.Model.AccumScore over
// the spikes the board reported). The float weights of the model are the master copy:
// before each batch they are re-quantized and written back to the board.
//
// It implements lr.Learner. A Trainer is used by one goroutine; ctx (given to
// NewTrainer) bounds every board operation.
type Trainer struct {
	ctx   context.Context
	m     *learn.Model
	q     *Quantized
	r     Runner
	cfg   LoopConfig
	mi    *Mirror
	stats LoopStats
	// reprogram makes the next Grad program the whole model (after the runner ran
	// another model, e.g. an evaluation).
	reprogram bool
	stoch     []bool // which neurons fire stochastically in the full model

	// layer-wise: per sample of the batch
	lwIn    [][][]sim.FixedInput
	lwPtr   [][]int32
	lwIDs   [][]int32
	lwClean [][]learn.LayerSpikes

	in     [][]sim.FixedInput
	spikes [][][]int32 // [copy][tick]
	probs  []uint16
	delta  [][][]float32 // [copy][pop] T × N_pop
	logs   [][]learn.LayerSpikes
	loss   []float64
	c      []float32
	lam    []float32
	a      []float32
}

// NewTrainer quantizes m (stochastic firing, every neuron an output neuron) and programs
// the runner. The model must fit the board (CheckFit), and every layer must have escape
// noise.
func NewTrainer(ctx context.Context, m *learn.Model, r Runner, cfg LoopConfig) (*Trainer, error) {
	if cfg.Copies < 2 {
		return nil, fmt.Errorf("deploy: %d copies, chip-in-the-loop needs at least 2 (leave-one-out baseline)", cfg.Copies)
	}
	if !(m.Cfg.Beta > 0) || !(m.Cfg.BetaOut > 0) {
		return nil, errors.New("deploy: LR on the board needs escape noise in every layer (beta > 0, beta_out > 0)")
	}
	q, err := Quantize(m, Options{Units: cfg.Units, Stochastic: true, Seed: 1})
	if err != nil {
		return nil, err
	}
	if err := r.Program(ctx, q.Fixed); err != nil {
		return nil, err
	}
	t := &Trainer{ctx: ctx, m: m, q: q, r: r, cfg: cfg, mi: NewMirror(q.Fixed)}
	for _, p := range q.Fixed.Params {
		t.stoch = append(t.stoch, p.Stochastic)
	}
	T, N, K, L := m.Cfg.Steps, q.Fixed.NumNeurons(), cfg.Copies, m.Cfg.Layers()
	t.probs = make([]uint16, T*N)
	t.spikes = make([][][]int32, K)
	t.delta = make([][][]float32, K)
	t.logs = make([][]learn.LayerSpikes, K)
	maxW := 0
	for k := range K {
		t.delta[k] = make([][]float32, L+1)
		t.logs[k] = make([]learn.LayerSpikes, L+1)
		for pop := 1; pop <= L; pop++ {
			t.delta[k][pop] = make([]float32, T*m.Cfg.Sizes[pop])
			maxW = max(maxW, m.Cfg.Sizes[pop])
		}
	}
	t.loss = make([]float64, K)
	t.c = make([]float32, K)
	t.lam = make([]float32, T*maxW)
	t.a = make([]float32, maxW)
	return t, nil
}

// Invalidate makes the next Grad program the whole model again: call it after the
// runner has run another model (an evaluation between epochs).
func (t *Trainer) Invalidate() { t.reprogram = true }

// Params lists the model's float weights (the master copy) and gradients.
func (t *Trainer) Params() []lr.Param { return t.m.Params() }

// Quantized returns the fixed-point model as last written to the board.
func (t *Trainer) Quantized() *Quantized { return t.q }

// Stats returns the counters.
func (t *Trainer) Stats() LoopStats { return t.stats }

// CopySeed returns the board seed of copy k of sample n of batch step (never 0).
func (t *Trainer) CopySeed(step uint64, n, k int) uint32 {
	s := uint32(lr.Hash(t.cfg.Seed, step, uint64(n), uint64(k), 0xb0a7d))
	if s == 0 {
		s = 1
	}
	return s
}

// Ticks converts a sample's input spikes (encode.Spikes layout, T steps) into the
// board's input events: tick 0 gets none, tick t the spikes of float step t − 1 (they
// reach the membrane at step t in both engines).
func Ticks(dst [][]sim.FixedInput, ptr, ids []int32) [][]sim.FixedInput {
	T := len(ptr) - 1
	for len(dst) < T {
		dst = append(dst, nil)
	}
	dst = dst[:T]
	for tk := range T {
		dst[tk] = dst[tk][:0]
		if tk == 0 {
			continue
		}
		for _, j := range ids[ptr[tk-1]:ptr[tk]] {
			dst[tk] = append(dst[tk], sim.FixedInput{Axon: j, Count: 1})
		}
	}
	return dst
}

// Grad re-quantizes the float weights and writes them to the board, then fills the
// gradients with the LR estimate of rows samples run on the board.
func (t *Trainer) Grad(x []float32, y []uint8, rows int, step uint64) (lr.Stats, error) {
	m := t.m
	in := m.In()
	if len(x) < rows*in || len(y) < rows {
		panic(fmt.Sprintf("deploy: Grad: %d rows need %d inputs and %d labels", rows, rows*in, rows))
	}
	t0 := time.Now()
	if err := t.q.Requantize(m); err != nil {
		return lr.Stats{}, err
	}
	if t.reprogram {
		if err := t.r.Program(t.ctx, t.q.Fixed); err != nil {
			return lr.Stats{}, err
		}
		t.reprogram = false
	} else if err := t.r.WriteWeights(t.ctx, t.q.Fixed); err != nil {
		return lr.Stats{}, err
	}
	t.stats.WeightWrites++
	t.stats.Write += time.Since(t0)
	params := m.Params()
	for _, p := range params {
		clear(p.Grad)
	}
	if t.cfg.LayerWise {
		return t.gradLayerWise(x, y, rows, step, params)
	}
	var st lr.Stats
	for n := range rows {
		if int(y[n]) >= m.Classes() {
			return lr.Stats{}, fmt.Errorf("deploy: label %d of sample %d out of range [0,%d)", y[n], n, m.Classes())
		}
		loss, err := t.sample(x[n*in:(n+1)*in], int(y[n]), n, rows, step, params)
		if err != nil {
			return lr.Stats{}, err
		}
		st.Loss += loss
		st.Forwards += t.cfg.Copies
	}
	st.Loss /= float64(rows * t.cfg.Copies)
	return st, nil
}

// sample runs the K copies of one sample on the board and adds its score terms into the
// gradients; it returns the sum of the copies' losses.
func (t *Trainer) sample(x []float32, y, n, B int, step uint64, params []lr.Param) (float64, error) {
	m, q := t.m, t.q
	K, T, L := t.cfg.Copies, m.Cfg.Steps, m.Cfg.Layers()
	h0 := time.Now()
	ptr, ids, err := m.EncodeSpikes(x, t.cfg.Seed, step, uint64(n))
	if err != nil {
		return 0, err
	}
	t.in = Ticks(t.in, ptr, ids)
	var host time.Duration
	var total float64
	for k := range K {
		b0 := time.Now()
		host += b0.Sub(h0)
		t.spikes[k], err = t.r.Run(t.ctx, t.CopySeed(step, n, k), t.in, t.spikes[k])
		h0 = time.Now()
		t.stats.Board += h0.Sub(b0)
		if err != nil {
			return 0, fmt.Errorf("deploy: sample %d copy %d: %w", n, k, err)
		}
		t.stats.Runs++
		t.stats.Ticks += int64(T)
		t.loss[k] = float64(t.score(k, y))
		total += t.loss[k]
	}
	t.centre(K, total, 1/float64(B*K))
	// Layer 1: the input is the same in every copy, one product Σ_k c_k δ_k.
	for l := range L {
		pop := l + 1
		N := m.Cfg.Sizes[pop]
		lam := t.lam[:T*N]
		if l == 0 {
			t.collapse(lam, K, pop)
			sim.BackFilter(lam, lam, t.a, T, N, q.Coef[l])
			m.Sim.AccumScore(l, params[l].Grad, ptr, ids, lam, 0, int32(m.Cfg.Sizes[l]))
			continue
		}
		for k := range K {
			ck := t.c[k]
			for i, d := range t.delta[k][pop] {
				lam[i] = ck * d
			}
			sim.BackFilter(lam, lam, t.a, T, N, q.Coef[l])
			lg := &t.logs[k][l]
			m.Sim.AccumScore(l, params[l].Grad, lg.Ptr, lg.IDs, lam, 0, int32(m.Cfg.Sizes[l]))
		}
	}
	host += time.Since(h0)
	t.stats.Host += host
	t.stats.Samples++
	return total, nil
}

// score replays copy k's run in the mirror and fills its scores δ (per population,
// T × N), its spike logs per population and returns its loss.
func (t *Trainer) score(k, y int) float32 {
	m, q := t.m, t.q
	T, L, N := m.Cfg.Steps, m.Cfg.Layers(), q.Fixed.NumNeurons()
	sp := t.spikes[k]
	t.stats.Inconsistent += t.mi.Replay(t.in, sp, t.probs)
	logs := t.logs[k]
	for pop := 1; pop <= L; pop++ {
		logs[pop].Ptr = append(logs[pop].Ptr[:0], 0)
		logs[pop].IDs = logs[pop].IDs[:0]
	}
	counts := make([]float32, m.Classes())
	for tk := range T {
		pr := t.probs[tk*N : (tk+1)*N]
		for pop := 1; pop <= L; pop++ {
			first, size := q.First[pop], m.Cfg.Sizes[pop]
			d := t.delta[k][pop][tk*size : (tk+1)*size]
			for i := range size {
				d[i] = float32((0 - float64(pr[first+i])/65536) / q.Beta[pop])
			}
		}
		for _, i := range sp[tk] {
			pop, j := q.Layer(int(i))
			t.delta[k][pop][tk*m.Cfg.Sizes[pop]+j] = float32((1 - float64(t.probs[tk*N+int(i)])/65536) / q.Beta[pop])
			logs[pop].IDs = append(logs[pop].IDs, int32(j))
			if pop == L {
				counts[j]++
			}
		}
		for pop := 1; pop <= L; pop++ {
			logs[pop].Ptr = append(logs[pop].Ptr, int32(len(logs[pop].IDs)))
		}
	}
	z := make([]float32, len(counts))
	sc := float32(m.Cfg.Scale)
	for i, c := range counts {
		z[i] = sc * c
	}
	return learn.CrossEntropy(z, y)
}

// Delta returns copy k's scores of population pop from the last sample (T × N, a view).
func (t *Trainer) Delta(k, pop int) []float32 { return t.delta[k][pop] }

// setPhase makes the neurons of population pop fire stochastically and every other
// neuron by threshold (pop 0: all by threshold; pop −1: the full model) and writes the
// parameter words to the runner, so that the board always holds what Quantized says.
func (t *Trainer) setPhase(pop int) error {
	fm := t.q.Fixed
	for i := range fm.Params {
		l, _ := t.q.Layer(i)
		fm.Params[i].Stochastic = t.stoch[i] && (pop < 0 || l == pop)
	}
	return t.r.WriteParams(t.ctx, fm)
}

// gradLayerWise is Grad under layer-wise injection.
func (t *Trainer) gradLayerWise(x []float32, y []uint8, rows int, step uint64, params []lr.Param) (st lr.Stats, err error) {
	m, q := t.m, t.q
	K, T, L := t.cfg.Copies, m.Cfg.Steps, m.Cfg.Layers()
	in := m.In()
	defer func() {
		if e := t.setPhase(-1); err == nil {
			err = e
		}
	}()
	for len(t.lwIn) < rows {
		t.lwIn = append(t.lwIn, nil)
		t.lwPtr = append(t.lwPtr, nil)
		t.lwIDs = append(t.lwIDs, nil)
		t.lwClean = append(t.lwClean, make([]learn.LayerSpikes, L+1))
	}
	run := func(n int, k int, seed uint32) error {
		b0 := time.Now()
		var err error
		t.spikes[k], err = t.r.Run(t.ctx, seed, t.lwIn[n], t.spikes[k])
		t.stats.Board += time.Since(b0)
		if err != nil {
			return fmt.Errorf("deploy: sample %d: %w", n, err)
		}
		t.stats.Runs++
		t.stats.Ticks += int64(T)
		return nil
	}
	// Clean runs: every layer by threshold.
	if err := t.setPhase(0); err != nil {
		return st, err
	}
	for n := range rows {
		if int(y[n]) >= m.Classes() {
			return st, fmt.Errorf("deploy: label %d of sample %d out of range [0,%d)", y[n], n, m.Classes())
		}
		h0 := time.Now()
		ptr, ids, err := m.EncodeSpikes(x[n*in:(n+1)*in], t.cfg.Seed, step, uint64(n))
		if err != nil {
			return st, err
		}
		t.lwPtr[n], t.lwIDs[n] = ptr, ids
		t.lwIn[n] = Ticks(t.lwIn[n], ptr, ids)
		t.stats.Host += time.Since(h0)
		t.in = t.lwIn[n]
		if err := run(n, 0, 1); err != nil {
			return st, err
		}
		h0 = time.Now()
		t.score(0, int(y[n]))
		for pop := 1; pop <= L; pop++ {
			c := &t.lwClean[n][pop]
			c.Ptr = append(c.Ptr[:0], t.logs[0][pop].Ptr...)
			c.IDs = append(c.IDs[:0], t.logs[0][pop].IDs...)
		}
		t.stats.Host += time.Since(h0)
	}
	// Each layer alone noisy.
	for pop := 1; pop <= L; pop++ {
		if err := t.setPhase(pop); err != nil {
			return st, err
		}
		N := m.Cfg.Sizes[pop]
		lam := t.lam[:T*N]
		for n := range rows {
			t.in = t.lwIn[n]
			var total float64
			for k := range K {
				if err := run(n, k, t.CopySeed(step, n, pop*K+k)); err != nil {
					return st, err
				}
				h0 := time.Now()
				t.loss[k] = float64(t.score(k, int(y[n])))
				total += t.loss[k]
				t.stats.Host += time.Since(h0)
			}
			h0 := time.Now()
			t.centre(K, total, 1/float64(rows*K))
			t.collapse(lam, K, pop)
			sim.BackFilter(lam, lam, t.a, T, N, q.Coef[pop-1])
			ptr, ids := t.lwPtr[n], t.lwIDs[n]
			if pop > 1 {
				ptr, ids = t.lwClean[n][pop-1].Ptr, t.lwClean[n][pop-1].IDs
			}
			m.Sim.AccumScore(pop-1, params[pop-1].Grad, ptr, ids, lam, 0, int32(m.Cfg.Sizes[pop-1]))
			st.Loss += total
			st.Forwards += K
			t.stats.Host += time.Since(h0)
		}
	}
	t.stats.Samples += rows
	st.Loss /= float64(rows * K * L)
	return st, nil
}

// centre sets the copies' coefficients c_k = (L_k − b_k)·norm, b_k the mean loss of the
// sample's other copies (leave-one-out), from t.loss and their sum total.
func (t *Trainer) centre(K int, total, norm float64) {
	for k := range K {
		b := (total - t.loss[k]) / float64(K-1)
		t.c[k] = float32((t.loss[k] - b) * norm)
	}
}

// collapse writes Σ_k c_k δ_k of population pop into lam: the score of a layer whose
// input is the same in every copy needs one product instead of K.
func (t *Trainer) collapse(lam []float32, K, pop int) {
	clear(lam)
	for k := range K {
		ck := t.c[k]
		for i, d := range t.delta[k][pop] {
			lam[i] += ck * d
		}
	}
}
