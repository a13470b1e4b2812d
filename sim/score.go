package sim

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"

	"github.com/snnsim/snnsim/neuron"
	"github.com/snnsim/snnsim/snn"
)

// Training hooks: what likelihood-ratio training (and surrogate-gradient baselines) needs
// of the engine, so that the training forward pass is the same event-driven code that
// `snnsim run` uses. Every hook is per Run and per population, set between steps (in
// practice right after NewRun or Reset); a Run without hooks pays one nil check per
// population per step and one boolean test per step, and gives bit-identical results.
//
//   - SetInput replaces a spike-array population's spikes for this Run (one sample), no
//     recompiling.
//   - SetDrive adds a precomputed input to a population's excitatory synaptic variable at
//     the end of every step, where delivered spikes go. The copies of one sample share
//     their first layer's input: it is computed once (Model.Drive) and driven into each.
//   - RecordScore writes δ(t) = (s(t) − p(t))/β, the score of each escape-noise draw with
//     respect to the membrane, for every neuron and step.
//   - SetAntithetic draws 1−u where the run would draw u (common random numbers for an
//     antithetic pair of runs that share a seed); SetDeterministic fires by threshold.
//   - Model.Weights makes a projection's weights per-synapse and returns them, so that
//     training can change them between runs.
//
// The score of a weight (package doc of neuron for the firing law): with the spike history
// held fixed, subtractive reset and no refractory period, the membrane of neuron i of a
// cuba-lif population depends on the weight w_ij of a synapse from presynaptic j through
// one trace per presynaptic neuron, shared by every target. In the engine's step order
// (integrate with the synaptic variable of the previous step, fire, then deliver this
// step's spikes),
//
//	ge_i(t) = a_s·ge_i(t−1) + Σ_j w_ij·s_j(t)               (delivered at the end of step t)
//	u_i(t)  = v∞ + a_m·(v_i(t−1) − v∞) + c·ge_i(t−1) + …    (before the spike test)
//	v_i(t)  = u_i(t) − (θ − v_reset)·s_i(t)
//
// so ∂u_i(t)/∂w_ij = ē_j(t) with
//
//	ĝ_j(t) = a_s·ĝ_j(t−1) + s_j(t),   ē_j(t) = a_m·ē_j(t−1) + c·ĝ_j(t−1),   ĝ(−1) = ē(−1) = 0
//
// (a_s, c = a_e, c_e for the excitatory receptor, a_i, c_i for the inhibitory one; see
// [TraceCoef]). A layer's score is G = Σ_t δ(t) ē(t)ᵀ ([ForwardTrace] computes ē). The
// engine accumulates the same sum in the other order: with λ(t) = Σ_{τ>t} κ(τ−t) δ(τ),
// κ the impulse response of the trace, G = Σ_t λ(t) s(t)ᵀ, and λ is one backward pass of
// the two filters ([BackFilter]):
//
//	a(t) = δ(t) + a_m·a(t+1),   λ(t) = c·a(t+1) + a_s·λ(t+1),   a(T) = λ(T) = 0.
//
// Adding λ(t) into the gradient row of every presynaptic neuron that spiked at t
// ([Model.AccumScore]) costs spikes × fan-out, the cost of delivering them: the score is
// accumulated by the same event-driven walk over CSR rows as the forward pass.

// popHook holds the training hooks of one population of a Run.
type popHook struct {
	inSet        bool
	inPtr, inIDs []int32 // per-run spikes of a spike-array population, by step
	drive        []float32
	driveRepeat  bool
	score        []float32 // δ rows, steps × size
	anti, det    bool
	px           []float32 // scratch of stepScored: firing probabilities
	pu           []float64 // scratch of stepScored: uniform draws
}

func (h *popHook) appendInput(out []int32, t int64) []int32 {
	if t+1 < int64(len(h.inPtr)) {
		return append(out, h.inIDs[h.inPtr[t]:h.inPtr[t+1]]...)
	}
	return out
}

func (r *Run) hookOf(pop int) *popHook {
	s := &r.pops[pop]
	if s.hook == nil {
		s.hook = &popHook{}
	}
	return s.hook
}

func (r *Run) checkPop(pop int, what string) (*PopInfo, error) {
	if pop < 0 || pop >= len(r.pops) {
		return nil, fmt.Errorf("sim: %s: population %d out of range [0,%d)", what, pop, len(r.pops))
	}
	return r.pops[pop].info, nil
}

// SetInput makes spike-array population pop emit, in this Run, the spikes ids[ptr[t]:ptr[t+1]]
// (local indices) at step t, for t < len(ptr)−1, and nothing after; the spikes it was
// compiled with are ignored. The layout is that of encode.Spikes (Ptr, IDs). nil, nil
// silences the population. The slices are kept, not copied: do not change them while the
// Run steps.
func (r *Run) SetInput(pop int, ptr, ids []int32) error {
	info, err := r.checkPop(pop, "set input")
	if err != nil {
		return err
	}
	if info.Model != snn.ModelSpikes {
		return fmt.Errorf("sim: set input: population %q is %s, not a spike array", info.Name, info.Model)
	}
	if len(ptr) > 0 {
		if ptr[0] < 0 || int(ptr[len(ptr)-1]) > len(ids) {
			return fmt.Errorf("sim: set input: offsets [%d, %d] outside the %d ids", ptr[0], ptr[len(ptr)-1], len(ids))
		}
		for t := 1; t < len(ptr); t++ {
			if ptr[t] < ptr[t-1] {
				return fmt.Errorf("sim: set input: offsets decrease at step %d", t)
			}
		}
		for _, id := range ids[ptr[0]:ptr[len(ptr)-1]] {
			if id < 0 || int(id) >= info.Size {
				return fmt.Errorf("sim: set input: neuron %d out of range for population %q of size %d", id, info.Name, info.Size)
			}
		}
	}
	h := r.hookOf(pop)
	h.inSet, h.inPtr, h.inIDs = true, ptr, ids
	return nil
}

// SetDrive adds drive to the synaptic variable of neuron population pop at the end of
// every step, where spikes are delivered (g_e; the membrane for lif): at step t the row
// drive[t·n:(t+1)·n] (n the population size) while the rows last, or, with repeat, the
// single row drive[:n] at every step (direct current). nil removes the drive. The slice
// is kept, not copied.
func (r *Run) SetDrive(pop int, drive []float32, repeat bool) error {
	info, err := r.checkPop(pop, "set drive")
	if err != nil {
		return err
	}
	if info.Model.IsInput() {
		return fmt.Errorf("sim: set drive: population %q is an input", info.Name)
	}
	n := info.Size
	if drive != nil && (repeat && len(drive) != n || !repeat && len(drive)%max(n, 1) != 0) {
		return fmt.Errorf("sim: set drive: %d values do not make rows of %d for population %q", len(drive), n, info.Name)
	}
	h := r.hookOf(pop)
	h.drive, h.driveRepeat = drive, repeat
	r.driven = false
	for i := range r.pops {
		if hk := r.pops[i].hook; hk != nil && hk.drive != nil {
			r.driven = true
		}
	}
	return nil
}

// addDrives adds the drives of step t.
func (r *Run) addDrives(t int64) {
	for i := range r.pops {
		s := &r.pops[i]
		h := s.hook
		if h == nil || h.drive == nil {
			continue
		}
		n := int64(s.info.Size)
		row := h.drive
		if !h.driveRepeat {
			if (t+1)*n > int64(len(row)) {
				continue
			}
			row = row[t*n : (t+1)*n]
		}
		dst := s.ge
		if s.info.Model == snn.ModelLIF {
			dst = s.v
		}
		addVec(dst, row)
	}
}

// RecordScore makes the escape-noise population pop write, at each step t, the score of
// every neuron's draw with respect to its membrane, δ_i(t) = (s_i(t) − p_i(t))/β, into
// dst[t·n:(t+1)·n] (n the population size) while the rows last; neurons in their
// refractory period get 0. The spikes are the ones the run fires without recording
// (same draws, same order). nil stops recording.
func (r *Run) RecordScore(pop int, dst []float32) error {
	h, err := r.escapeHook(pop, "record score")
	if err != nil {
		return err
	}
	h.score = dst
	return nil
}

// SetAntithetic makes escape-noise population pop fire when 1−u < p where it would fire
// when u < p, u its uniform draw: two Runs with the same seed, one antithetic, are a
// pair of common random numbers (u, 1−u).
func (r *Run) SetAntithetic(pop int, on bool) error {
	h, err := r.escapeHook(pop, "set antithetic")
	if err != nil {
		return err
	}
	h.anti = on
	return nil
}

// escapeHook returns the hooks of population pop after checking that it fires by escape
// noise; what names the operation in the error.
func (r *Run) escapeHook(pop int, what string) (*popHook, error) {
	info, err := r.checkPop(pop, what)
	if err != nil {
		return nil, err
	}
	if info.Model.IsInput() || !(info.Prop.Beta > 0) {
		return nil, fmt.Errorf("sim: %s: population %q has no escape noise (beta = 0)", what, info.Name)
	}
	return r.hookOf(pop), nil
}

// SetDeterministic makes escape-noise population pop fire by its threshold (v > θ) as if
// β were 0, or restores its escape noise. Set it before the run starts.
func (r *Run) SetDeterministic(pop int, on bool) error {
	info, err := r.checkPop(pop, "set deterministic")
	if err != nil {
		return err
	}
	if info.Model.IsInput() {
		return fmt.Errorf("sim: set deterministic: population %q is an input", info.Name)
	}
	r.hookOf(pop).det = on
	return nil
}

// Fired returns the local indices of the neurons of population i that spiked in the last
// step (a view, valid until the next step).
func (r *Run) Fired(i int) []int32 { return r.pops[i].out }

// Reset returns the Run to the state NewRun(seed) creates, without allocating: the same
// seed gives the same spikes as a fresh Run. Hooks (inputs, drives, score buffers,
// antithetic and deterministic settings) are kept; spike and state monitors are detached.
func (r *Run) Reset(seed uint64) {
	m := r.m
	r.Seed, r.tick, r.Events, r.SpikeCount = seed, 0, 0, 0
	clear(r.popSpikes)
	for i := range r.ring {
		r.ring[i] = r.ring[i][:0]
	}
	r.spikes, r.recPop, r.states = nil, nil, nil
	for i := range r.pops {
		s := &r.pops[i]
		p := m.Net.Populations[i]
		ps := p.Seed
		if ps == 0 {
			ps = seed
		}
		s.pcg.Seed(ps, mix(ps, 0x9095, uint64(i)))
		s.out = s.out[:0]
		switch p.Model {
		case snn.ModelPoisson:
			s.next = s.gap() - 1
		case snn.ModelSpikes:
			s.cursor = 0
		default:
			clear(s.ge)
			clear(s.gi)
			clear(s.ref)
			for j := range s.refUntil {
				s.refUntil[j] = -1
			}
			s.refQ, s.refHead = s.refQ[:0], 0
			initV(s.v, p.InitV, p.Params.VRest, s.rng)
			clear(s.acc[0])
			clear(s.acc[1])
		}
	}
}

// stepScored is stepStochastic with the hooks: the same draws in the same order (so the
// same spikes), u replaced by 1−u under SetAntithetic, and δ written under RecordScore.
func stepScored(p *neuron.Propagator, s *popState, t int64, out []int32) []int32 {
	start := len(out)
	v, ref := s.v, s.ref[:len(s.v)]
	h := s.hook
	n := int64(len(v))
	var score []float32
	if h.score != nil && (t+1)*n <= int64(len(h.score)) {
		score = h.score[t*n : (t+1)*n]
	}
	d := drawer{pcg: s.pcg, esc: neuron.Escape{Theta: float64(p.VThresh), Beta: float64(p.Beta)}, anti: h.anti}
	d.inv = 1 / d.esc.Beta
	if p.Kind == snn.ModelCuBaLIF && (p.RefSteps <= 1 || !hasRefractory(ref)) {
		// The hot case, in passes without a branch on the outcome: integrate, then every
		// firing probability (vectorised), then the draws.
		ge, gi := s.ge[:n], s.gi[:n]
		if cap(h.px) < len(v) {
			h.px = make([]float32, len(v))
		}
		px := h.px[:len(v)]
		integrateCuBa(p, v, ge, gi, px, d.esc.Theta, d.inv)
		sigmoids32(px)
		out = slices.Grow(out, len(v))
		if cap(h.pu) < len(v) {
			h.pu = make([]float64, len(v))
		}
		out = d.decideAll(out, v, px, h.pu, score)
		resetFired(p, v, ref, out[start:])
		return out
	}
	for i := range v {
		var vn float32
		switch p.Kind {
		case snn.ModelCuBaLIF:
			g1, g2 := s.ge[i], s.gi[i]
			s.ge[i] = float32(g1 * p.AE)
			s.gi[i] = float32(g2 * p.AI)
			if ref[i] > 0 {
				ref[i]--
				if score != nil {
					score[i] = 0
				}
				continue
			}
			vn, _, _ = p.Step(v[i], g1, g2)
		case snn.ModelCoBaLIF:
			g1, g2 := s.ge[i], s.gi[i]
			s.ge[i] = float32(g1 * p.AE)
			s.gi[i] = float32(g2 * p.AI)
			if ref[i] > 0 {
				ref[i]--
				if score != nil {
					score[i] = 0
				}
				continue
			}
			vn = cobaV(p, v[i], g1, g2)
		default:
			if ref[i] > 0 {
				ref[i]--
				if score != nil {
					score[i] = 0
				}
				continue
			}
			vn = float32(float32((v[i]-p.VInf)*p.AM) + p.VInf)
		}
		v[i] = vn
		fired, dl := d.draw(vn)
		if fired != 0 {
			out = append(out, int32(i))
		}
		if score != nil {
			score[i] = dl
		}
	}
	resetFired(p, v, ref, out[start:])
	return out
}

// drawer makes the escape-noise draws of stepScored.
type drawer struct {
	pcg  *rand.PCG
	esc  neuron.Escape
	inv  float64 // 1/β
	anti bool
}

// drawGuard is the distance between the draw and the fast firing probability below which
// the exact probability decides (sigmoidFast is within 1e-12 of it).
const drawGuard = 1e-9

// draw decides the spike (1) or not (0) of a neuron at membrane vn exactly as
// stepStochastic does (u < σ((vn − θ)/β), u the next Float64 of the stream) and returns
// it with its score (s − p)/β. The probability comes from sigmoidFast; the exact sigmoid
// is computed only when u falls within drawGuard of it (about one draw in 10⁹), so the
// spikes are those of the exact law.
func (d *drawer) draw(vn float32) (uint8, float32) {
	return d.decide(vn, sigmoidFast((float64(vn)-d.esc.Theta)*d.inv))
}

// decide is draw with the fast probability pr of vn already computed.
func (d *drawer) decide(vn float32, pr float64) (uint8, float32) {
	u := float64(d.pcg.Uint64()<<11>>11) / (1 << 53) // rand.Rand.Float64, without the interface call
	if d.anti {
		u = 1 - u
	}
	if math.Abs(u-pr) < drawGuard {
		pr = d.esc.P(float64(vn))
	}
	var s uint8
	if u < pr {
		s = 1
	}
	return s, float32((float64(s) - pr) * d.inv)
}

// integrateCuBaScalar advances len(v) CuBa-LIF neurons none of which is refractory by one
// step (p.Step, and the decay of ge and gi) and writes x_i = (v_i − θ)·inv, the argument of
// each firing probability, rounded to float32, into px.
func integrateCuBaScalar(p *neuron.Propagator, v, ge, gi []float32, px []float32, theta, inv float64) {
	ge, gi, px = ge[:len(v)], gi[:len(v)], px[:len(v)]
	for i := range v {
		g1, g2 := ge[i], gi[i]
		ge[i] = float32(g1 * p.AE)
		gi[i] = float32(g2 * p.AI)
		vn, _, _ := p.Step(v[i], g1, g2)
		v[i] = vn
		px[i] = float32((float64(vn) - theta) * inv)
	}
}

// decideAll makes the draws of every neuron of a population step, in neuron order, with
// the fast probabilities px of the membranes v, using u (len(v) values) as scratch: it
// appends the indices of the neurons that fire to out (which has room for len(v) more)
// and writes δ into score unless it is nil. The draws, the stream and the decisions are
// those of decide called for each neuron in turn (the exact law: see drawGuard32); δ is
// computed from the float32 probability. The uniforms of the whole step are drawn first
// (fillUniforms), then compared (decideRange, vectorised in score_simd_amd64.go).
func (d *drawer) decideAll(out []int32, v, px []float32, u []float64, score []float32) []int32 {
	n := len(v)
	start := len(out)
	px, u = px[:n], u[:n]
	fillUniforms(d.pcg, u, d.anti)
	w := decideRange(out[start:start+n], v, px, u, score, d.esc, d.inv)
	return out[:start+w]
}

// decideScalar decides the neurons i in [lo, hi) of a step (see decideAll), writing the
// indices of those that fire from o[w] on; it returns the new w. u holds their draws
// (already 1−u under SetAntithetic), px their fast probabilities.
func decideScalar(o []int32, w, lo, hi int, v, px []float32, u []float64, score []float32, esc neuron.Escape, inv float64) int {
	for i := lo; i < hi; i++ {
		pr, ui := float64(px[i]), u[i]
		if math.Abs(ui-pr) < drawGuard32 {
			pr = esc.P(float64(v[i]))
		}
		var s int
		if ui < pr {
			s = 1
		}
		o[w] = int32(i)
		w += s
		if score != nil {
			score[i] = float32((float64(s) - pr) * inv)
		}
	}
	return w
}

// PCG-DXSM of math/rand/v2 (state s ← a·s + c mod 2¹²⁸, output dxsm(s)), on a state held
// in local variables: rand.PCG keeps it in memory, which puts a store and a load on the
// dependency chain of every draw. a2, c2 make two steps at once (s ← a²·s + (a·c + c)),
// so that the even and odd draws of a step are two independent chains.
const (
	pcgMulHi, pcgMulLo = 2549297995355413924, 4865540595714422341
	pcgIncHi, pcgIncLo = 6364136223846793005, 1442695040888963407
	pcgMul2Hi          = 0x17bce35bdf69743c // a² mod 2¹²⁸
	pcgMul2Lo          = 0x529ed9eb20e0ae99
	pcgInc2Hi          = 0x4871bec9994273f8 // a·c + c mod 2¹²⁸
	pcgInc2Lo          = 0xac1f8a1c3883459a
	pcgCheapMul        = 0xda942042e4dd58b5
)

// pcgStep returns m·s + c mod 2¹²⁸ for the state s = (hi, lo).
func pcgStep(hi, lo, mHi, mLo, cHi, cLo uint64) (uint64, uint64) {
	h, l := bits.Mul64(lo, mLo)
	h += hi*mLo + lo*mHi
	l, k := bits.Add64(l, cLo, 0)
	h, _ = bits.Add64(h, cHi, k)
	return h, l
}

// pcgFloat64 is rand.Rand.Float64 of the PCG output of state (hi, lo) (DXSM).
func pcgFloat64(hi, lo uint64) float64 {
	hi ^= hi >> 32
	hi *= pcgCheapMul
	hi ^= hi >> 48
	hi *= lo | 1
	return float64(hi<<11>>11) / (1 << 53)
}

// fillUniforms writes the next len(u) Float64 draws of pcg into u, 1−u each under anti:
// the values and the state after them are those of len(u) calls of rand.Rand.Float64
// (TestFillUniformsMatchesPCG).
func fillUniforms(pcg *rand.PCG, u []float64, anti bool) {
	var buf [20]byte
	b, _ := pcg.AppendBinary(buf[:0]) // "pcg:", hi, lo (big endian)
	hi, lo := binary.BigEndian.Uint64(b[4:]), binary.BigEndian.Uint64(b[12:])
	xh, xl := pcgStep(hi, lo, pcgMulHi, pcgMulLo, pcgIncHi, pcgIncLo) // state of draw 0
	yh, yl := pcgStep(xh, xl, pcgMulHi, pcgMulLo, pcgIncHi, pcgIncLo) // state of draw 1
	i := 0
	for ; i+1 < len(u); i += 2 {
		u[i], u[i+1] = pcgFloat64(xh, xl), pcgFloat64(yh, yl)
		hi, lo = yh, yl
		xh, xl = pcgStep(xh, xl, pcgMul2Hi, pcgMul2Lo, pcgInc2Hi, pcgInc2Lo)
		yh, yl = pcgStep(yh, yl, pcgMul2Hi, pcgMul2Lo, pcgInc2Hi, pcgInc2Lo)
	}
	if i < len(u) {
		u[i] = pcgFloat64(xh, xl)
		hi, lo = xh, xl
	}
	if anti {
		for i, x := range u {
			u[i] = 1 - x
		}
	}
	binary.BigEndian.PutUint64(b[4:], hi)
	binary.BigEndian.PutUint64(b[12:], lo)
	if err := pcg.UnmarshalBinary(b); err != nil {
		panic(err) // the format AppendBinary just gave
	}
}

// hasRefractory reports whether a neuron is in its refractory period (a period of one
// step or less holds no neuron: see resetFired).
func hasRefractory(ref []int32) bool {
	for _, r := range ref {
		if r > 0 {
			return true
		}
	}
	return false
}

// drawGuard32 is drawGuard for the float32 probabilities of the hot path of stepScored
// (sigmoidFast32 of the float32-rounded argument, within 1e-6 of the exact probability:
// TestSigmoidFast32). A draw within it of the fast probability, about one in 10⁵, is
// decided by the exact one, so the spikes are still those of the exact law; δ is computed
// from the float32 probability (it is stored as float32).
const drawGuard32 = 1e-5

// sigmoidFast32 is 1/(1+e^{−x}) in float32, to within a few float32 ulps of 1: the
// method of sigmoidFast with |x| clamped to 30 (σ(−30) < 1e-13), e^f by its degree-6
// Taylor polynomial (relative error below 2e-7 with float32 rounding), every product
// rounded to float32 explicitly (no fused multiply-add), so that sigmoids32 (score_*.go)
// gets the same bits eight at a time.
func sigmoidFast32(x float32) float32 {
	a := min(math.Float32frombits(math.Float32bits(x)&^(1<<31)), 30)
	y := float32(a * log2e32)
	kf := float32(math.Floor(float64(y + 0.5)))
	f := float32(float32(kf-y) * ln2f32)
	e := float32(f * e6)
	e = float32(f * (e + e5))
	e = float32(f * (e + e4))
	e = float32(f * (e + e3))
	e = float32(f * (e + e2))
	e = float32(f * (e + 1))
	e += 1
	e = float32(e * math.Float32frombits(math.Float32bits(magic32-kf)<<23)) // 2^{−k}
	q := 1 / (1 + e)
	if x < 0 {
		return float32(e * q)
	}
	return q
}

// float32 constants of sigmoidFast32; the bits of magic32 − k, shifted left by 23, are
// those of the float32 2^{−k} for integer 0 ≤ k ≤ 126.
const (
	log2e32, ln2f32    float32 = math.Log2E, math.Ln2
	e2, e3, e4, e5, e6 float32 = 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720
	magic32            float32 = 1<<23 + 127
)

// sigmoidFast is 1/(1+e^{−x}) to within 1e-12 (absolute): e^{−|x|} = 2^{−k}·e^{f} with
// k = round(|x|·log2 e) (|x| clamped to 40, where the sigmoid is 0 or 1 to 5e-18),
// |f| ≤ ln2/2, e^f by its degree-10 Taylor polynomial (relative error below 3e-13) and
// 2^{−k} built from bits. No branch, no call: sigmoids (score_*.go) runs the same
// operations four at a time and gets the same bits.
func sigmoidFast(x float64) float64 {
	a := min(math.Abs(x), 40)
	y := a * math.Log2E
	kf := math.Floor(y + 0.5)
	f := (kf - y) * math.Ln2
	e := f*(f*(f*(f*(f*(f*(f*(f*(f*(f*c10+c9)+c8)+c7)+c6)+c5)+c4)+c3)+c2)+c1) + 1
	e *= math.Float64frombits(math.Float64bits(magic-kf) << 52) // 2^{−k}
	q := 1 / (1 + e)
	if x < 0 {
		return e * q
	}
	return q
}

// Taylor coefficients of e^f, and 2^52 + 1023: the bits of magic − k, shifted left by 52,
// are those of 2^{−k} for integer 0 ≤ k ≤ 58.
const (
	c1, c2, c3, c4, c5 = 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120
	c6, c7, c8, c9     = 1.0 / 720, 1.0 / 5040, 1.0 / 40320, 1.0 / 362880
	c10                = 1.0 / 3628800
	magic              = 1<<52 + 1023
)

// ProjInfo is a read-only view of a compiled projection: rows of RowPtr/Cols are
// presynaptic neurons, and per-synapse arrays ([Model.Weights], gradients) follow the same
// order.
type ProjInfo struct {
	Name         string
	Src, Dst     int // population indices
	Receptor     snn.Receptor
	RowPtr, Cols []int32
	// Dense is true when every row holds every target once, in order: the weights are a
	// row-major NPre × NPost matrix.
	Dense bool
	// Delayed is true when spikes arrive after a delay.
	Delayed bool
}

// NumProjections returns the number of projections.
func (m *Model) NumProjections() int { return len(m.projs) }

// ProjectionIndex returns the index of the named projection, or -1.
func (m *Model) ProjectionIndex(name string) int {
	for i := range m.projs {
		if m.projs[i].name == name {
			return i
		}
	}
	return -1
}

// Projection returns a view of projection i (the slices are the model's: do not write).
func (m *Model) Projection(i int) ProjInfo {
	p := &m.projs[i]
	rec := snn.Exc
	if p.rec == recI {
		rec = snn.Inh
	}
	return ProjInfo{Name: p.name, Src: p.src, Dst: p.dst, Receptor: rec, RowPtr: p.rowPtr, Cols: p.cols,
		Dense: p.dense, Delayed: p.delay > 0 || p.delays != nil}
}

// Weights returns the per-synapse weights of projection i in CSR order. A projection
// compiled with one weight for every synapse is given per-synapse weights first, so that
// they can differ from then on (the projection is trainable). Writing into the slice
// changes the model: do it only while none of its Runs is stepping.
func (m *Model) Weights(i int) []float32 {
	p := &m.projs[i]
	if p.w == nil {
		p.w = make([]float32, len(p.cols))
		for k := range p.w {
			p.w[k] = p.w0
		}
		p.w0 = 0
	}
	return p.w
}

// denseRows reports whether every row of a CSR matrix holds every column 0..n−1 once, in
// order.
func denseRows(rowPtr, cols []int32, n int) bool {
	for j := 0; j+1 < len(rowPtr); j++ {
		lo, hi := rowPtr[j], rowPtr[j+1]
		if int(hi-lo) != n {
			return false
		}
		for k, c := range cols[lo:hi] {
			if int(c) != k {
				return false
			}
		}
	}
	return true
}

// TraceCoef are the coefficients of the presynaptic trace of a projection (see the
// comment at the top of score.go): ĝ(t) = AS·ĝ(t−1) + s(t), ē(t) = AM·ē(t−1) + C·ĝ(t−1).
type TraceCoef struct {
	AS, AM, C float32
}

// TraceCoef returns the trace coefficients of projection i: those of its target's
// receptor and membrane. The trace is the exact derivative of the membrane only for
// cuba-lif and lif targets with subtractive reset, no refractory period and no delay;
// other projections are an error.
func (m *Model) TraceCoef(i int) (TraceCoef, error) {
	p := &m.projs[i]
	d := &m.Pops[p.dst]
	pr := &d.Prop
	switch {
	case p.delay > 0 || p.delays != nil:
		return TraceCoef{}, fmt.Errorf("sim: trace of projection %q: delayed spikes are not supported", p.name)
	case !pr.Subtract || pr.RefSteps > 0:
		return TraceCoef{}, fmt.Errorf("sim: trace of projection %q: target %q needs subtractive reset and no refractory period", p.name, d.Name)
	}
	switch d.Model {
	case snn.ModelCuBaLIF:
		if p.rec == recI {
			return TraceCoef{AS: pr.AI, AM: pr.AM, C: pr.CI}, nil
		}
		return TraceCoef{AS: pr.AE, AM: pr.AM, C: pr.CE}, nil
	case snn.ModelLIF:
		// The input lands on the membrane after the step's reset, and decays with it:
		// ē(t) = a_m·(ē(t−1) + s(t−1)).
		return TraceCoef{AS: 0, AM: pr.AM, C: pr.AM}, nil
	}
	return TraceCoef{}, fmt.Errorf("sim: trace of projection %q: target model %s is not linear in its weights", p.name, d.Model)
}

// ForwardTrace writes the presynaptic traces ē(t) of n neurons whose spikes at step t are
// ids[ptr[t]:ptr[t+1]] into dst (steps × n rows, steps = len(ptr)−1), using g (length n)
// as scratch. It is the forward form of the score (G = Σ_t δ(t) ē(t)ᵀ), kept for
// references and dense products.
func ForwardTrace(dst, g []float32, ptr, ids []int32, n int, c TraceCoef) {
	steps := len(ptr) - 1
	g = g[:n]
	clear(g)
	var prev []float32
	for t := range steps {
		e := dst[t*n : (t+1)*n]
		if prev == nil {
			clear(e)
		} else {
			for i := range e {
				e[i] = c.AM*prev[i] + c.C*g[i]
			}
		}
		for i := range g {
			g[i] *= c.AS
		}
		for _, j := range ids[ptr[t]:ptr[t+1]] {
			g[j]++
		}
		prev = e
	}
}

// BackFilter writes λ(t) = Σ_{τ>t} κ(τ−t)·δ(τ) into dst for steps rows of n values, from
// the scores delta (same layout), a (length n) as scratch: the backward form of the
// presynaptic trace, so that Σ_t δ(t) ē(t)ᵀ = Σ_t λ(t) s(t)ᵀ. dst and delta may be the
// same slice.
func BackFilter(dst, delta, a []float32, steps, n int, c TraceCoef) {
	a = a[:n]
	clear(a)
	if steps == 0 {
		return
	}
	last := dst[(steps-1)*n : steps*n]
	copy(a, delta[(steps-1)*n:steps*n]) // a(T−1) = δ(T−1)
	clear(last)                         // λ(T−1) = 0
	for t := steps - 2; t >= 0; t-- {
		lam := dst[t*n : (t+1)*n]
		next := dst[(t+1)*n : (t+2)*n]
		d := delta[t*n : (t+1)*n]
		for i := range lam {
			ai := a[i]
			l := c.C*ai + c.AS*next[i]
			a[i] = d[i] + c.AM*ai
			lam[i] = l
		}
	}
}

// AccumScore adds, for every spike of presynaptic neuron j in [lo, hi) at step t (ids[ptr[t]:
// ptr[t+1]]), the row λ(t) (lambda, (len(ptr)−1) × n_dst) gathered through projection i's
// row j into grad (per synapse, CSR order): grad[k] += λ_{cols[k]}(t). With λ from
// [BackFilter] this is the projection's score Σ_t δ(t) ē(t)ᵀ. Splitting [lo, hi) among
// goroutines gives the same result at any split.
func (m *Model) AccumScore(i int, grad []float32, ptr, ids []int32, lambda []float32, lo, hi int32) {
	p := &m.projs[i]
	n := m.Pops[p.dst].Size
	steps := len(ptr) - 1
	for t := range steps {
		lam := lambda[t*n : (t+1)*n]
		for _, j := range ids[ptr[t]:ptr[t+1]] {
			if j < lo || j >= hi {
				continue
			}
			k0, k1 := p.rowPtr[j], p.rowPtr[j+1]
			if p.dense {
				addVec(grad[k0:k1], lam)
				continue
			}
			gatherAdd(grad[k0:k1], lam, p.cols[k0:k1])
		}
	}
}

// maxMergeSteps bounds the steps byNeuron walks (its cursors live on the stack); below
// minMergeRow targets per row, rows are too short for the neuron-major walk to pay for
// its merge of the steps.
const maxMergeSteps, minMergeRow = 64, 64

// byNeuron calls f(j, t) for every spike of a neuron j in [lo, hi) at step t, spikes
// ids[ptr[t]:ptr[t+1]], neuron by neuron (ascending j) and for one neuron in step order,
// and returns true; when a step's ids are not strictly increasing or there are more than
// maxMergeSteps steps it returns false without calling f.
func byNeuron(ptr, ids []int32, lo, hi int32, f func(j int32, t int)) bool {
	steps := len(ptr) - 1
	if steps > maxMergeSteps {
		return false
	}
	var cur, end [maxMergeSteps]int32
	for t := range steps {
		a, b := ptr[t], ptr[t+1]
		for k := a + 1; k < b; k++ {
			if ids[k] <= ids[k-1] {
				return false
			}
		}
		k, _ := slices.BinarySearch(ids[a:b], lo)
		cur[t], end[t] = a+int32(k), b
	}
	for {
		j := hi
		for t := range steps {
			if c := cur[t]; c < end[t] && ids[c] < j {
				j = ids[c]
			}
		}
		if j >= hi {
			return true
		}
		for t := range steps {
			if c := cur[t]; c < end[t] && ids[c] == j {
				f(j, t)
				cur[t]++
			}
		}
	}
}

// AccumScoreValues is AccumScore for an input of values instead of spikes, the same at every
// step (direct current): grad[k] += x_j·lamSum_{cols[k]} for rows j in [lo, hi), with lamSum
// the sum of λ over the steps.
func (m *Model) AccumScoreValues(i int, grad, x, lamSum []float32, lo, hi int32) {
	p := &m.projs[i]
	for j := lo; j < hi; j++ {
		xj := x[j]
		if xj == 0 {
			continue
		}
		k0, k1 := p.rowPtr[j], p.rowPtr[j+1]
		g, cols := grad[k0:k1], p.cols[k0:k1]
		for k, c := range cols {
			g[k] += xj * lamSum[c]
		}
	}
}

// Drive adds to dst (steps × n_dst, steps = len(ptr)−1) the input that projection i
// delivers at each step from presynaptic spikes ids[ptr[t]:ptr[t+1]]: the rows the engine
// would add to the targets' synaptic variable, computed once to be shared by Runs
// (see [Run.SetDrive]). When every step's ids are increasing, the spikes are walked neuron
// by neuron (byNeuron: a weight row is read once for all its spikes); each entry of dst
// still gets its terms in the order of the step's ids, so the bits are those of the
// step-by-step walk.
func (m *Model) Drive(i int, dst []float32, ptr, ids []int32) {
	p := &m.projs[i]
	n := m.Pops[p.dst].Size
	add := func(j int32, t int) {
		row := dst[t*n : (t+1)*n]
		k0, k1 := p.rowPtr[j], p.rowPtr[j+1]
		switch {
		case p.w == nil:
			addConst(row, p.cols[k0:k1], p.w0)
		case p.dense:
			addVec(row, p.w[k0:k1])
		default:
			addRow(row, p.cols[k0:k1], p.w[k0:k1])
		}
	}
	if n >= minMergeRow && byNeuron(ptr, ids, 0, math.MaxInt32, add) {
		return
	}
	for t := range len(ptr) - 1 {
		for _, j := range ids[ptr[t]:ptr[t+1]] {
			add(j, t)
		}
	}
}

// DriveValues adds to dst (n_dst values) the input projection i delivers from presynaptic
// values x instead of spikes: dst_c += Σ_j x_j·w_jc (direct current).
func (m *Model) DriveValues(i int, dst, x []float32) {
	p := &m.projs[i]
	for j, xj := range x {
		if xj == 0 {
			continue
		}
		k0, k1 := p.rowPtr[j], p.rowPtr[j+1]
		cols := p.cols[k0:k1]
		if p.w == nil {
			addConst(dst, cols, xj*p.w0)
			continue
		}
		ws := p.w[k0:k1]
		for k, c := range cols {
			dst[c] += xj * ws[k]
		}
	}
}

// gatherAdd adds src[cols[k]] to dst[k].
func gatherAdd(dst, src []float32, cols []int32) {
	dst = dst[:len(cols)]
	for k, c := range cols {
		dst[k] += src[c]
	}
}

// PopStream returns the seed pair of the random stream that a Run of seed gives
// population i when the population has no seed of its own: rand.NewPCG(s1, s2). An
// escape-noise population draws one Float64 per non-refractory neuron per step from it,
// in neuron order (after the draws of a random initial membrane), so code outside the
// engine can reproduce a Run's firing draws.
func PopStream(seed uint64, i int) (s1, s2 uint64) { return seed, mix(seed, 0x9095, uint64(i)) }
