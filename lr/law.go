package lr

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"
)

// Law is a standard (location 0, scale 1) noise law that a noisy unit adds to its mean:
// z̃ = z + s·ε with ε ~ Law. The score of the output with respect to the mean is
// ∂/∂z log p(z̃ | z) = Score(ε)/s, the quantity every LR gradient is built from.
//
// Every law here is symmetric (Score is odd), which antithetic pairs (ε, −ε) rely on.
type Law interface {
	// Name is the law's name as the CLI spells it: gaussian, logistic, laplace.
	Name() string
	// Sample draws one standard variate.
	Sample(r *rand.Rand) float64
	// Quantile is the inverse CDF, for u in (0,1); QMC noise is made through it.
	Quantile(u float64) float64
	// Score is −d/dε log f(ε) for the standard density f.
	Score(e float32) float32
}

// Gaussian is the standard normal law: Score(ε) = ε.
type Gaussian struct{}

// Logistic is the standard logistic law (scale β = 1): Score(ℓ) = 2·sigmoid(ℓ) − 1.
type Logistic struct{}

// Laplace is the standard Laplace law (scale b = 1): Score(ε) = sign(ε).
type Laplace struct{}

func (Gaussian) Name() string                  { return "gaussian" }
func (Gaussian) Sample(r *rand.Rand) float64   { return r.NormFloat64() }
func (Gaussian) Quantile(u float64) float64    { return distuv.UnitNormal.Quantile(u) }
func (Gaussian) Score(e float32) float32       { return e }
func (Logistic) Name() string                  { return "logistic" }
func (l Logistic) Sample(r *rand.Rand) float64 { return l.Quantile(openUnit(r)) }
func (Logistic) Quantile(u float64) float64    { return math.Log(u / (1 - u)) }
func (Logistic) Score(e float32) float32       { return float32(2/(1+math.Exp(-float64(e))) - 1) }
func (Laplace) Name() string                   { return "laplace" }
func (l Laplace) Sample(r *rand.Rand) float64  { return l.Quantile(openUnit(r)) }
func (Laplace) Score(e float32) float32 {
	switch {
	case e > 0:
		return 1
	case e < 0:
		return -1
	}
	return 0
}
func (Laplace) Quantile(u float64) float64 {
	if u < 0.5 {
		return math.Log(2 * u)
	}
	return -math.Log(2 * (1 - u))
}

// openUnit draws u uniformly from the open interval (0,1).
func openUnit(r *rand.Rand) float64 {
	for {
		if u := r.Float64(); u > 0 {
			return u
		}
	}
}

// Laws lists the noise laws by name.
func Laws() []Law { return []Law{Gaussian{}, Logistic{}, Laplace{}} }

// LawByName returns the law called name (case-insensitive).
func LawByName(name string) (Law, error) {
	for _, l := range Laws() {
		if strings.EqualFold(l.Name(), name) {
			return l, nil
		}
	}
	return nil, fmt.Errorf("lr: unknown noise law %q (want gaussian, logistic or laplace)", name)
}
