package neuron

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnsim/snnsim/snn"
)

func cubaParams() snn.NeuronParams {
	return snn.NeuronParams{TauM: 20, TauE: 5, TauI: 10, VRest: -49, VThresh: -50, VReset: -60, Refractory: 5}
}

func TestPropagatorMatchesClosedForm(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    snn.NeuronParams
	}{
		{"cuba", cubaParams()},
		{"tau_e==tau_m", snn.NeuronParams{TauM: 10, TauE: 10, TauI: 3, VRest: -65, VThresh: -50, VReset: -65}},
		{"bias", snn.NeuronParams{TauM: 15, TauE: 2, TauI: 8, VRest: -70, Bias: 12, VThresh: -50, VReset: -70}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pr, err := NewPropagator(snn.ModelCuBaLIF, tc.p, 0.1)
			require.NoError(t, err)
			v, ge, gi := float32(-60), float32(3), float32(-2)
			for k := 1; k <= 200; k++ {
				v, ge, gi = pr.Step(v, ge, gi)
				want := ExactV(tc.p, -60, 3, -2, float64(k)*0.1)
				assert.InDelta(t, want, float64(v), 1e-3, "step %d", k)
			}
			assert.InDelta(t, 3*math.Exp(-20/tc.p.TauE), float64(ge), 1e-5)
		})
	}
}

func TestCouplingLimit(t *testing.T) {
	// Continuity at tau_s == tau_m.
	assert.InDelta(t, Coupling(10, 10, 0.1), Coupling(10, 10+1e-6, 0.1), 1e-8)
	assert.InDelta(t, Coupling(10, 10, 0.1), Coupling(10, 10-1e-6, 0.1), 1e-8)
}

func TestNewPropagatorErrors(t *testing.T) {
	p := cubaParams()
	_, err := NewPropagator(snn.ModelCuBaLIF, p, 0)
	require.ErrorContains(t, err, "dt")
	p.TauE = 0
	_, err = NewPropagator(snn.ModelCuBaLIF, p, 0.1)
	require.ErrorContains(t, err, "tau_e")
	_, err = NewPropagator(snn.ModelPoisson, cubaParams(), 0.1)
	require.ErrorContains(t, err, "not a neuron model")
	pr, err := NewPropagator(snn.ModelCuBaLIF, cubaParams(), 0.1)
	require.NoError(t, err)
	assert.Equal(t, int32(50), pr.RefSteps)
}

func TestEscapeScoreIsDerivativeOfLogLik(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		e := Escape{Theta: rng.NormFloat64() * 5, Beta: 0.1 + rng.Float64()*3}
		u := e.Theta + rng.NormFloat64()*3*e.Beta
		for _, s := range []bool{false, true} {
			const h = 1e-5
			fd := (e.LogLik(s, u+h) - e.LogLik(s, u-h)) / (2 * h)
			assert.InDelta(t, fd, e.Score(s, u), 1e-5*(1+math.Abs(fd)))
		}
		// Closed form: (s - p)/beta.
		p := 1 / (1 + math.Exp(-(u-e.Theta)/e.Beta))
		assert.InDelta(t, (1-p)/e.Beta, e.Score(true, u), 1e-12)
		assert.InDelta(t, -p/e.Beta, e.Score(false, u), 1e-12)
		// Likelihoods sum to one.
		assert.InDelta(t, 1, math.Exp(e.LogLik(true, u))+math.Exp(e.LogLik(false, u)), 1e-12)
	}
}

func TestEscapeScoreHasZeroMean(t *testing.T) {
	// E[(s-p)/beta] = 0: the score of a Bernoulli draw is centred.
	e := Escape{Theta: -50, Beta: 2}
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 200000
	u := -49.0
	var sum, sum2 float64
	for range n {
		s := e.Fire(u, rng.Float64())
		g := e.Score(s, u)
		sum += g
		sum2 += g * g
	}
	mean := sum / n
	sd := math.Sqrt(sum2/n-mean*mean) / math.Sqrt(n)
	assert.Less(t, math.Abs(mean), 5*sd)
}

func TestSigmoidExtremes(t *testing.T) {
	assert.Equal(t, 1.0, Sigmoid(1000))
	assert.Equal(t, 0.0, Sigmoid(-1000))
	assert.Equal(t, 0.5, Sigmoid(0))
	assert.False(t, math.IsNaN(Escape{Beta: 1e-3}.LogLik(false, 100)))
}
