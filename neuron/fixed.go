package neuron

// The fixed-point neuron: the arithmetic the boards implement (docs/hardware.md §2).
//
// State is two int16 words per neuron, the synaptic current I and the membrane u (relative
// to rest). Once per tick, in this order:
//
//	r = xorshift32()                         (every active neuron, every tick)
//	a = sat16(acc);  acc = 0                 (acc: int32 sum of this tick's synaptic input)
//	I = sat16(I − (I >> dI) + a)
//	u = sat16(u − (u >> dV) + I + bias)
//	s = stochastic ? (r >> 16) < LUT[idx(u − θ)] : u ≥ θ
//	if s { u = sat16(u − reset) }
//
// Shifts are arithmetic; intermediate sums are exact in 32 bits; sat16 clamps to
// [−32768, 32767]. No multiplier is needed anywhere.

import "math"

// FixedGroups is the number of neuron/axon groups of a core: the per-projection weight
// shift is indexed by (source group, target group) and the sigmoid table by target group.
const FixedGroups = 16

// LUTSize is the number of entries of a sigmoid look-up table.
const LUTSize = 256

// LUT is a firing-probability table: entry k is the probability, in units of 2⁻¹⁶, of a
// spike when (u − θ) >> shift == k − 128 (see [LUTIndex]).
type LUT [LUTSize]uint16

// FixedParams are the parameters of one fixed-point neuron (one 8-byte parameter word
// on the board).
type FixedParams struct {
	Theta  int16 // threshold θ
	Bias   int16 // constant drive added to the membrane every tick
	Reset  int16 // subtracted from u after a spike (subtractive reset)
	DecayI uint8 // dI in 0..15: I ← I − I>>dI (0: the current lasts one tick)
	DecayV uint8 // dV in 0..15: u ← u − u>>dV (0: no memory)
	Group  uint8 // 0..15: selects the sigmoid table and the row of the shift table
	// Stochastic selects escape-noise firing from the group's sigmoid table instead of
	// the deterministic test u ≥ θ.
	Stochastic bool
	// Output makes the board report the neuron's spikes to the host.
	Output bool
}

// Valid reports whether the parameters are in range (decays and group below 16).
func (p *FixedParams) Valid() bool {
	return p.DecayI < 16 && p.DecayV < 16 && p.Group < FixedGroups
}

// FixedState is the state of one fixed-point neuron.
type FixedState struct {
	I int16 // synaptic current
	U int16 // membrane potential relative to rest
}

// Sat16 clamps x to the int16 range.
func Sat16(x int32) int16 {
	if x > math.MaxInt16 {
		return math.MaxInt16
	}
	if x < math.MinInt16 {
		return math.MinInt16
	}
	return int16(x)
}

// SatAdd32 returns a + b clamped to the int32 range (the accumulator's add).
func SatAdd32(a, b int32) int32 {
	s := int64(a) + int64(b)
	if s > math.MaxInt32 {
		return math.MaxInt32
	}
	if s < math.MinInt32 {
		return math.MinInt32
	}
	return int32(s)
}

// Contribution returns the accumulator increment of count spikes through a synapse of
// int8 weight w and left shift sh (0..15): count·(w << sh), exact in 32 bits
// (|result| ≤ 255·128·2¹⁵ < 2³¹). It panics on a shift above 15.
func Contribution(w int8, sh uint8, count uint8) int32 {
	if sh > 15 {
		panic("neuron: weight shift above 15")
	}
	return int32(count) * (int32(w) << sh)
}

// LUTIndex returns the sigmoid-table index of membrane u at threshold theta with table
// shift sh (0..15): clamp(((u − θ) >> sh) + 128, 0, 255), the shift arithmetic.
func LUTIndex(u, theta int16, sh uint8) int {
	d := (int32(u) - int32(theta)) >> (sh & 15)
	return int(min(max(d+128, 0), LUTSize-1))
}

// XorShift32 is the board's pseudo-random generator (Marsaglia's xorshift32 with shifts
// 13, 17, 5). Its state is never 0; [NewXorShift32] maps the seed 0 to [ZeroSeed].
type XorShift32 uint32

// ZeroSeed replaces a seed of 0, which would leave xorshift32 stuck at 0.
const ZeroSeed = 0x9E3779B9

// NewXorShift32 returns a generator seeded with seed (0 is replaced by ZeroSeed).
func NewXorShift32(seed uint32) XorShift32 {
	if seed == 0 {
		seed = ZeroSeed
	}
	return XorShift32(seed)
}

// Next advances the generator and returns its new state.
func (x *XorShift32) Next() uint32 {
	s := uint32(*x)
	s ^= s << 13
	s ^= s >> 17
	s ^= s << 5
	*x = XorShift32(s)
	return s
}

// Step advances one neuron by one tick. acc is the tick's accumulated synaptic input
// (int32, saturating sums of [Contribution]s), draw is the upper 16 bits of this neuron's
// xorshift32 output, lut and lutShift the neuron's group table (used only when the
// neuron is stochastic). It returns the new state, whether the neuron spiked and the
// table entry used (the firing probability in units of 2⁻¹⁶; 0 for deterministic
// neurons).
func (p *FixedParams) Step(s FixedState, acc int32, draw uint16, lut *LUT, lutShift uint8) (FixedState, bool, uint16) {
	a := int32(Sat16(acc))
	i := int32(s.I)
	i = int32(Sat16(i - (i >> (p.DecayI & 15)) + a))
	u := int32(s.U)
	u = int32(Sat16(u - (u >> (p.DecayV & 15)) + i + int32(p.Bias)))
	var spike bool
	var prob uint16
	if p.Stochastic {
		prob = lut[LUTIndex(int16(u), p.Theta, lutShift)]
		spike = draw < prob
	} else {
		spike = u >= int32(p.Theta)
	}
	if spike {
		u = int32(Sat16(u - int32(p.Reset)))
	}
	return FixedState{I: int16(i), U: int16(u)}, spike, prob
}

// SigmoidLUT returns the table of the escape-noise law p = σ((u − θ)/β) for a table
// shift sh: entry k holds round(2¹⁶·σ(x/β)) (at most 65535) at the centre
// x = (k − 128)·2^sh + (2^sh − 1)/2 of the range of u − θ that maps to it. β is in the
// same fixed-point units as u.
func SigmoidLUT(beta float64, sh uint8) LUT {
	var t LUT
	w := math.Ldexp(1, int(sh&15))
	for k := range t {
		x := float64(k-128)*w + (w-1)/2
		p := math.Round(Sigmoid(x/beta) * 65536)
		t[k] = uint16(min(max(p, 0), 65535))
	}
	return t
}

// LUTShiftFor returns the smallest table shift whose 256 entries cover u − θ over
// ±span (in fixed-point units), capped at 15.
func LUTShiftFor(span float64) uint8 {
	for sh := uint8(0); sh < 15; sh++ {
		if math.Ldexp(128, int(sh)) >= span {
			return sh
		}
	}
	return 15
}
