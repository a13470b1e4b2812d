package deploy

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/snnsim/snnsim/hw/proto"
	"github.com/snnsim/snnsim/neuron"
	"github.com/snnsim/snnsim/sim"
	"github.com/snnsim/snnsim/snn/learn"
)

// DefaultUnits is the default number of fixed-point units per threshold: θ = 1 of the
// float model becomes 1024, so int16 state spans ±32 thresholds.
const DefaultUnits = 1024

// ErrNoFit is wrapped by the errors of models that do not fit a board.
var ErrNoFit = errors.New("model does not fit the board")

// ShiftForTau returns the decay shift d (0..15) whose per-tick decay 1 − 2^−d is closest,
// in the log domain, to the float decay e^{−dt/τ}: d = round(−log2(1 − e^{−dt/τ})).
func ShiftForTau(tau, dt float64) uint8 { return sim.DecayShift(math.Exp(-dt / tau)) }

// TauForShift returns the time constant that a decay shift d implements exactly at step
// dt: τ = −dt / ln(1 − 2^−d) (0 for d = 0: no memory).
func TauForShift(d uint8, dt float64) float64 {
	if d == 0 {
		return 0
	}
	return -dt / math.Log1p(-math.Ldexp(1, -int(d)))
}

// SnapConfig returns c with τm and τs moved to the nearest time constants the board
// implements exactly (TauForShift(ShiftForTau(τ))): a model trained with them has the
// board's decays, and quantization changes only the weights' and the state's resolution.
func SnapConfig(c learn.Config) learn.Config {
	c.TauM = TauForShift(max(ShiftForTau(c.TauM, c.DT), 1), c.DT)
	c.TauS = TauForShift(max(ShiftForTau(c.TauS, c.DT), 1), c.DT)
	c.Sizes = append([]int(nil), c.Sizes...)
	return c
}

// Options control [Quantize].
type Options struct {
	// Units is the number of fixed-point units per threshold (default DefaultUnits).
	Units float64
	// Stochastic makes the escape-noise layers fire from the board's sigmoid tables;
	// otherwise every neuron fires by its threshold (the noise-off network).
	Stochastic bool
	// Seed is the board's xorshift32 seed (0 means neuron.ZeroSeed).
	Seed uint32
	// ReadoutOnly reports only the readout's spikes to the host (inference); by default
	// every neuron is an output neuron, so that the host sees every spike (training and
	// the fidelity report need them).
	ReadoutOnly bool
}

// Quantized is a [learn.Model] in the board's fixed-point form, with what the host needs
// to map between the two.
type Quantized struct {
	Fixed *sim.FixedModel
	Units float64 // fixed-point units per threshold
	// First[l] is the index of the first neuron of population l (1..L; First[0] = 0 is
	// the input's first axon); Sizes are the model's.
	First, Sizes []int
	// Gain[l] converts a float weight of layer l (0-based projection) into accumulator
	// units before the shift: w_int8 = round(w·Gain[l] / 2^shift).
	Gain []float64
	// Coef[l] are the trace coefficients of the fixed-point dynamics of layer l's target
	// in float-weight units (a_s = 1 − 2^−dI, a_m = 1 − 2^−dV, C = Gain/Units): the
	// derivative of the board's membrane, in thresholds, with respect to a float weight.
	Coef []sim.TraceCoef
	// Beta[l] is the escape noise of population l (1..L) in thresholds (0: deterministic).
	Beta []float64
	// Saturated counts the weights clipped to ±127 by the last (re)quantization.
	Saturated int
}

// CheckFit reports whether a model configuration fits a core of maxNeurons neurons and
// maxAxons axons, and runs on a board at all (Poisson input, count readout); the error
// says what to change.
func CheckFit(c *learn.Config, maxNeurons, maxAxons int) error {
	var why []string
	if c.Input != learn.InputPoisson {
		why = append(why, fmt.Sprintf("input %q: the board takes spikes (train with --input poisson)", c.Input))
	}
	if c.Readout != learn.ReadoutCount {
		why = append(why, fmt.Sprintf("readout %q: the board reports spikes only (train with --readout count)", c.Readout))
	}
	if c.Layers() >= neuron.FixedGroups {
		why = append(why, fmt.Sprintf("%d layers: the core has %d groups (at most %d layers)", c.Layers(), neuron.FixedGroups, neuron.FixedGroups-1))
	}
	in := c.Sizes[0]
	n := 0
	for _, s := range c.Sizes[1:] {
		n += s
	}
	out := c.Sizes[len(c.Sizes)-1]
	if in > maxAxons {
		hint := ""
		if in == 784 {
			hint = " (MNIST: --data mnist@pool2 gives 14×14 = 196)"
		}
		why = append(why, fmt.Sprintf("%d inputs, the board has %d axons: downsample the input to ≤ %d pixels%s", in, maxAxons, maxAxons, hint))
	}
	if n > maxNeurons {
		why = append(why, fmt.Sprintf("%d neurons (hidden %v + readout %d), the board has %d: shrink the hidden layers to ≤ %d neurons in all (--hidden %d)",
			n, c.Sizes[1:len(c.Sizes)-1], out, maxNeurons, max(maxNeurons-out, 0), max(maxNeurons-out, 0)))
	}
	if len(why) > 0 {
		return fmt.Errorf("deploy: %w: %s", ErrNoFit, strings.Join(why, "; "))
	}
	return nil
}

// Quantize maps a trained spiking model onto the board's fixed-point core:
//
//   - layout: input pixel j is axon j (group 0); population l (hidden layers, then the
//     readout) is a block of neurons of group l, in order;
//   - membranes in units of 1/Units threshold: θ = reset = Units (threshold 1,
//     subtractive reset), rest 0, no bias;
//   - decays: d = round(−log2(1 − e^{−dt/τ})) for τm (dV) and τs (dI) ([ShiftForTau]);
//     exact when τ = −dt/ln(1 − 2^−d) ([SnapConfig]);
//   - weights: the float engine adds c·g(t−1) to the membrane (c = neuron.Coupling), so
//     a float weight w becomes w·Units·c accumulator units, times
//     (1 − a_s^x)(1 − a_m^x)/((1 − a_s)(1 − a_m)) (a the float decays, a^x = 1 − 2^−d) to
//     keep the DC gain when τ is not exact; each projection gets the smallest left shift
//     that fits its largest weight in int8, and w_int8 = round(units / 2^shift), clipped
//     to ±127;
//   - escape noise β (thresholds) becomes the group's sigmoid table of β·Units over
//     ±8β (neuron.SigmoidLUT, neuron.LUTShiftFor).
//
// The board's input events of tick t are the float input spikes of step t − 1: both
// reach the membrane one step after the spike, so tick t of the board is step t of
// the float engine.
func Quantize(m *learn.Model, opt Options) (*Quantized, error) {
	c := &m.Cfg
	if err := CheckFit(c, proto.MaxNeurons, proto.MaxAxons); err != nil {
		return nil, err
	}
	if opt.Units == 0 {
		opt.Units = DefaultUnits
	}
	if !(opt.Units >= 1 && opt.Units <= 8192) {
		return nil, fmt.Errorf("deploy: %g units per threshold out of range [1, 8192]", opt.Units)
	}
	L := c.Layers()
	q := &Quantized{Units: opt.Units, Sizes: append([]int(nil), c.Sizes...), First: make([]int, L+1),
		Gain: make([]float64, L), Coef: make([]sim.TraceCoef, L), Beta: make([]float64, L+1)}
	n := 0
	for l := 1; l <= L; l++ {
		q.First[l] = n
		n += c.Sizes[l]
	}
	fm := &sim.FixedModel{DT: c.DT, Seed: opt.Seed, Params: make([]neuron.FixedParams, n),
		AxonGroup: make([]uint8, c.Sizes[0])}
	fm.Pops = append(fm.Pops, sim.FixedPop{Name: "in", Input: true, Size: c.Sizes[0]})
	dV := ShiftForTau(c.TauM, c.DT)
	dI := ShiftForTau(c.TauS, c.DT)
	am, as := math.Exp(-c.DT/c.TauM), math.Exp(-c.DT/c.TauS)
	amx, asx := 1-math.Ldexp(1, -int(dV)), 1-math.Ldexp(1, -int(dI))
	coup := neuron.Coupling(c.TauM, c.TauS, c.DT)
	gain := opt.Units * coup * (1 - asx) * (1 - amx) / ((1 - as) * (1 - am))
	for l := 1; l <= L; l++ {
		name := fmt.Sprintf("h%d", l)
		beta := c.Beta
		if l == L {
			name, beta = "out", c.BetaOut
		}
		q.Beta[l] = beta
		g := uint8(l)
		fm.Pops = append(fm.Pops, sim.FixedPop{Name: name, First: q.First[l], Size: c.Sizes[l], Group: g, Scale: opt.Units})
		p := neuron.FixedParams{Theta: sim.Sat16(opt.Units), Reset: sim.Sat16(opt.Units), DecayI: dI, DecayV: dV, Group: g,
			Output: !opt.ReadoutOnly || l == L}
		if opt.Stochastic && beta > 0 {
			p.Stochastic = true
			b := beta * opt.Units
			sh := neuron.LUTShiftFor(8 * b)
			fm.LUTShift[g] = sh
			fm.LUT[g] = neuron.SigmoidLUT(b, sh)
		}
		for k := range c.Sizes[l] {
			fm.Params[q.First[l]+k] = p
		}
		q.Gain[l-1] = gain
		q.Coef[l-1] = sim.TraceCoef{AS: float32(asx), AM: float32(amx), C: float32(gain / opt.Units)}
	}
	// All-to-all rows: axon j (layer 0) or neuron First[l]+j (layer l) onto the next
	// population, ascending targets.
	a := c.Sizes[0]
	fm.RowPtr = make([]int32, a+n+1)
	rowLen := make([]int, a+n)
	for l := range L {
		for j := range c.Sizes[l] {
			rowLen[srcRow(q, a, l, j)] = c.Sizes[l+1]
		}
	}
	for r := range a + n {
		fm.RowPtr[r+1] = fm.RowPtr[r] + int32(rowLen[r])
	}
	fm.Cols = make([]int32, fm.RowPtr[a+n])
	fm.W = make([]int8, len(fm.Cols))
	for l := range L {
		for j := range c.Sizes[l] {
			lo := fm.RowPtr[srcRow(q, a, l, j)]
			for i := range c.Sizes[l+1] {
				fm.Cols[int(lo)+i] = int32(q.First[l+1] + i)
			}
		}
	}
	q.Fixed = fm
	if err := q.Requantize(m); err != nil {
		return nil, err
	}
	if err := fm.Validate(); err != nil {
		return nil, fmt.Errorf("deploy: %w", err)
	}
	return q, nil
}

// srcRow returns the fixed model's source row of presynaptic j of layer l.
func srcRow(q *Quantized, axons, l, j int) int {
	if l == 0 {
		return j
	}
	return axons + q.First[l] + j
}

// Requantize writes m's current float weights into q's int8 weights and shifts (the
// layout is unchanged), choosing each projection's shift afresh. A NaN weight (a
// diverged training) is an error: nothing sensible can be written to the board.
func (q *Quantized) Requantize(m *learn.Model) error {
	fm := q.Fixed
	a := q.Sizes[0]
	q.Saturated = 0
	for l := range len(q.Sizes) - 1 {
		w := m.Weights(l)
		g := q.Gain[l]
		mx := 0.0
		for _, v := range w {
			mx = max(mx, math.Abs(float64(v)*g))
		}
		if math.IsNaN(mx) {
			return fmt.Errorf("deploy: projection %d has a NaN weight", l+1)
		}
		sh := uint8(0)
		for sh < 15 && mx/math.Ldexp(1, int(sh)) > 127.5 {
			sh++
		}
		fm.Shift[l][l+1] = sh
		div := math.Ldexp(1, int(sh))
		nPost := q.Sizes[l+1]
		for j := range q.Sizes[l] {
			lo := int(fm.RowPtr[srcRow(q, a, l, j)])
			row := w[j*nPost : (j+1)*nPost]
			for i, v := range row {
				x := math.Round(float64(v) * g / div)
				if x > 127 || x < -127 {
					q.Saturated++
				}
				fm.W[lo+i] = int8(min(max(x, -127), 127))
			}
		}
	}
	return nil
}

// Layer returns the population (1..L) of fixed-model neuron i and its local index.
func (q *Quantized) Layer(i int) (int, int) {
	for l := len(q.First) - 1; l >= 1; l-- {
		if i >= q.First[l] {
			return l, i - q.First[l]
		}
	}
	panic(fmt.Sprintf("deploy: neuron %d out of range", i))
}
