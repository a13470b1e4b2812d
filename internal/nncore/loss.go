package nncore

import (
	"fmt"
	"math"

	"github.com/snnsim/snnsim/mlp"
)

// SoftmaxCE returns the cross-entropy −log softmax(z)_y and, when grad is not nil, writes
// its gradient softmax(z) − onehot(y), times scale, into grad.
func SoftmaxCE(grad, z []float32, y int, scale float32) float32 {
	m := z[0]
	for _, v := range z[1:] {
		m = max(m, v)
	}
	var s float64
	for _, v := range z {
		s += math.Exp(float64(v - m))
	}
	lse := float64(m) + math.Log(s)
	if grad != nil {
		for i, v := range z {
			grad[i] = scale * float32(math.Exp(float64(v)-lse))
		}
		grad[y] -= scale
	}
	return float32(lse - float64(z[y]))
}

// Argmax returns the index of the largest value (the first on ties).
func Argmax(z []float32) int {
	best := 0
	for i, v := range z {
		if v > z[best] {
			best = i
		}
	}
	return best
}

// ActDeriv multiplies delta by a'(z), given the pre-activation z and h = a(z). It panics
// for an activation without a derivative (step, sign): check Act.Differentiable first.
func ActDeriv(a mlp.Act, delta, z, h []float32) {
	switch a {
	case mlp.Identity:
	case mlp.ReLU:
		for i, v := range z[:len(delta)] {
			if v <= 0 {
				delta[i] = 0
			}
		}
	case mlp.Sigmoid:
		for i, v := range h[:len(delta)] {
			delta[i] *= v * (1 - v)
		}
	case mlp.Tanh:
		for i, v := range h[:len(delta)] {
			delta[i] *= 1 - v*v
		}
	default:
		panic(fmt.Sprintf("nncore: activation %s has no derivative", a))
	}
}

// Sigmoid returns 1/(1+e^−x).
func Sigmoid(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }

// Tanh returns tanh x.
func Tanh(x float32) float32 { return float32(math.Tanh(float64(x))) }
