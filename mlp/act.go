package mlp

import (
	"fmt"
	"math"
	"strings"
)

// Act is an elementwise activation. Step and Sign are not differentiable (their
// derivative is zero almost everywhere): only LR can train networks that use them.
type Act int

const (
	Identity Act = iota
	ReLU
	Sigmoid
	Tanh
	Step // 1 if z > 0, else 0
	Sign // +1 if z > 0, else −1
)

var actNames = []string{"identity", "relu", "sigmoid", "tanh", "step", "sign"}

// Name implements lr.Activation.
func (a Act) Name() string {
	if int(a) >= 0 && int(a) < len(actNames) {
		return actNames[a]
	}
	return fmt.Sprintf("Act(%d)", int(a))
}

func (a Act) String() string { return a.Name() }

// ParseAct parses an activation name.
func ParseAct(s string) (Act, error) {
	for i, n := range actNames {
		if strings.EqualFold(n, s) {
			return Act(i), nil
		}
	}
	return 0, fmt.Errorf("mlp: unknown activation %q (want %s)", s, strings.Join(actNames, ", "))
}

// Differentiable reports whether BP can pass a gradient through a.
func (a Act) Differentiable() bool { return a <= Tanh }

// Apply implements lr.Activation: dst = act(z).
func (a Act) Apply(dst, z []float32) {
	dst = dst[:len(z)]
	switch a {
	case Identity:
		copy(dst, z)
	case ReLU:
		// max compiles branch-free: about 3× faster than a compare and branch on
		// noisy pre-activations, whose signs the predictor cannot guess.
		relu(dst, z)
	case Sigmoid:
		for i, v := range z {
			dst[i] = float32(1 / (1 + math.Exp(-float64(v))))
		}
	case Tanh:
		for i, v := range z {
			dst[i] = float32(math.Tanh(float64(v)))
		}
	case Step:
		for i, v := range z {
			dst[i] = b2f(v > 0)
		}
	case Sign:
		for i, v := range z {
			dst[i] = 2*b2f(v > 0) - 1
		}
	default:
		panic(fmt.Sprintf("mlp: unknown activation %d", int(a)))
	}
}

// relu writes max(z, 0) into dst: reluGeneric, or an AVX version in GOEXPERIMENT=simd
// builds on amd64 (the same values, NaN included; −0 may stay −0).
var relu = reluGeneric

func reluGeneric(dst, z []float32) {
	dst = dst[:len(z)]
	for i, v := range z {
		dst[i] = max(v, 0)
	}
}

// deriv multiplies delta by act'(z) given z and h = act(z).
func (a Act) deriv(delta, z, h []float32) {
	switch a {
	case Identity:
	case ReLU:
		for i, v := range z {
			if v <= 0 {
				delta[i] = 0
			}
		}
	case Sigmoid:
		for i, v := range h {
			delta[i] *= v * (1 - v)
		}
	case Tanh:
		for i, v := range h {
			delta[i] *= 1 - v*v
		}
	default:
		panic(fmt.Sprintf("mlp: activation %s has no derivative", a))
	}
}

func b2f(b bool) float32 {
	if b {
		return 1
	}
	return 0
}
