package mlp

import (
	"fmt"
	"math"
)

// Loss is a per-row loss on logits; it implements lr.Loss.
type Loss int

const (
	// CrossEntropy is −log softmax(z)_y.
	CrossEntropy Loss = iota
	// ZeroOne is 1 when argmax z ≠ y, else 0: not differentiable, LR only.
	ZeroOne
)

// Name implements lr.Loss.
func (l Loss) Name() string {
	switch l {
	case CrossEntropy:
		return "ce"
	case ZeroOne:
		return "01"
	}
	return fmt.Sprintf("Loss(%d)", int(l))
}

// ParseLoss parses ce (cross-entropy) or 01 (zero-one).
func ParseLoss(s string) (Loss, error) {
	switch s {
	case "ce", "cross-entropy":
		return CrossEntropy, nil
	case "01", "0-1", "zero-one":
		return ZeroOne, nil
	}
	return 0, fmt.Errorf("mlp: unknown loss %q (want ce or 01)", s)
}

// Loss implements lr.Loss.
func (l Loss) Loss(z []float32, y int) float32 {
	switch l {
	case ZeroOne:
		return b2f(argmax(z) != y)
	default:
		return float32(logSumExp(z) - float64(z[y]))
	}
}

// grad writes ∂loss/∂z into dst (cross-entropy only): softmax(z) − onehot(y).
func (l Loss) grad(dst, z []float32, y int) {
	lse := logSumExp(z)
	for i, v := range z {
		dst[i] = float32(math.Exp(float64(v) - lse))
	}
	dst[y]--
}

func logSumExp(z []float32) float64 {
	m := z[0]
	for _, v := range z[1:] {
		m = max(m, v)
	}
	var s float64
	for _, v := range z {
		s += math.Exp(float64(v - m))
	}
	return float64(m) + math.Log(s)
}

func argmax(z []float32) int {
	best := 0
	for i, v := range z {
		if v > z[best] {
			best = i
		}
	}
	return best
}
