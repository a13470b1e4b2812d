package neuron

import "math"

// Escape is the stochastic escape-noise firing law p = sigmoid((u - θ)/β).
type Escape struct {
	Theta float64 // threshold θ
	Beta  float64 // noise scale β > 0
}

// Sigmoid is the logistic function 1/(1+e^{-x}), computed without overflow.
func Sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// P returns the firing probability at membrane u.
func (e Escape) P(u float64) float64 { return Sigmoid((u - e.Theta) / e.Beta) }

// LogLik returns log P(s | u) for the outcome s (true = spike).
func (e Escape) LogLik(s bool, u float64) float64 {
	x := (u - e.Theta) / e.Beta
	// log σ(x) = -softplus(-x); log(1-σ(x)) = -softplus(x).
	if s {
		return -softplus(-x)
	}
	return -softplus(x)
}

// Score returns ∂ log P(s | u)/∂u = (s - p)/β.
func (e Escape) Score(s bool, u float64) float64 {
	p := e.P(u)
	if s {
		return (1 - p) / e.Beta
	}
	return -p / e.Beta
}

// Fire decides a spike from a uniform draw r in [0, 1): spike iff r < p.
func (e Escape) Fire(u, r float64) bool { return r < e.P(u) }

func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}
