package encode

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Poisson is rate coding: input neuron i spikes at each step independently with probability
// p_i = clamp(x_i · MaxRate · DT / 1000, 0, 1) (MaxRate in Hz, DT in ms), a Bernoulli process
// that approximates a Poisson process of rate x_i·MaxRate. When MaxRate·DT is 0 (the zero
// value) the probability is the intensity itself: p_i = clamp(x_i, 0, 1).
//
// The cost grows with the number of spikes, not with pixels × steps: silent pixels cost
// nothing and sparse trains are drawn by geometric gaps between spikes.
type Poisson struct {
	MaxRate float64 // firing rate at intensity 1, Hz
	DT      float64 // step length, ms
}

// geoLimit: below this probability per step, gaps between spikes are drawn from the
// geometric law (one draw per spike); above it, each step is a Bernoulli draw.
const geoLimit = 0.25

// Name returns "poisson".
func (Poisson) Name() string { return "poisson" }

// Inputs returns dim: one input neuron per value.
func (Poisson) Inputs(dim int) int { return dim }

// Prob returns the spike probability per step of intensity x.
func (p Poisson) Prob(x float32) float64 {
	s := p.MaxRate * p.DT / 1000
	if s == 0 {
		s = 1
	}
	v := float64(x) * s
	switch {
	case v > 0 && v < 1:
		return v
	case v >= 1:
		return 1
	}
	return 0 // negative, zero or NaN
}

// Encode writes steps steps of Bernoulli spikes for x into dst, drawing from rng.
func (p Poisson) Encode(dst *Spikes, x []float32, steps int, rng *rand.Rand) {
	dst.Reset(steps)
	for i, v := range x {
		q := p.Prob(v)
		switch {
		case q == 0:
		case q >= 1:
			for t := range steps {
				dst.push(t, int32(i))
			}
		case q < geoLimit:
			l := math.Log1p(-q)
			for t := -1; ; {
				// Failures before the next success: floor(log U / log(1-q)), U in (0,1].
				g := math.Floor(math.Log(1-rng.Float64()) / l)
				if g >= float64(steps-t-1) {
					break
				}
				t += int(g) + 1
				dst.push(t, int32(i))
			}
		default:
			for t := range steps {
				if rng.Float64() < q {
					dst.push(t, int32(i))
				}
			}
		}
	}
	dst.flush()
}

// Latency is time-to-first-spike coding: each input neuron spikes at most once, brighter
// earlier. A value x > Threshold spikes at step round((1 − (x−Threshold)/(1−Threshold)) ·
// (steps−1)), so x = 1 spikes at step 0 and values just above the threshold near the last
// step; values at or below the threshold never spike. It is deterministic (rng is unused).
type Latency struct {
	Threshold float32 // in [0,1); 0 (the default) silences only black pixels
}

// Name returns "latency".
func (Latency) Name() string { return "latency" }

// Inputs returns dim: one input neuron per value.
func (Latency) Inputs(dim int) int { return dim }

// Step returns the spike step of intensity x over steps steps, or -1 for no spike.
func (l Latency) Step(x float32, steps int) int {
	if l.Threshold < 0 || l.Threshold >= 1 {
		panic(fmt.Sprintf("encode: latency threshold %v outside [0,1)", l.Threshold))
	}
	if !(x > l.Threshold) || steps <= 0 {
		return -1
	}
	u := min(float64(x-l.Threshold)/float64(1-l.Threshold), 1)
	return int(math.Round((1 - u) * float64(steps-1)))
}

// Encode writes x's first-spike times into dst.
func (l Latency) Encode(dst *Spikes, x []float32, steps int, _ *rand.Rand) {
	dst.Reset(steps)
	for i, v := range x {
		if t := l.Step(v, steps); t >= 0 {
			dst.push(t, int32(i))
		}
	}
	dst.flush()
}

// Direct is direct current injection: no spikes, the sample itself drives the first layer as
// an input current Gain·x + Bias added at every step. The zero value has Gain 1.
type Direct struct {
	Gain, Bias float32
}

// Name returns "direct".
func (Direct) Name() string { return "direct" }

// Current writes the per-step input current of sample x into dst (len(dst) == len(x)).
func (d Direct) Current(dst, x []float32) {
	if len(dst) != len(x) {
		panic(fmt.Sprintf("encode: direct current of %d values into %d", len(x), len(dst)))
	}
	g := d.Gain
	if g == 0 {
		g = 1
	}
	for i, v := range x {
		dst[i] = g*v + d.Bias
	}
}
