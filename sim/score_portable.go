//go:build !(goexperiment.simd && amd64)

package sim

import "github.com/snnsim/snnsim/neuron"

// integrateCuBa is integrateCuBaScalar (score_simd_amd64.go vectorises it).
func integrateCuBa(p *neuron.Propagator, v, ge, gi []float32, px []float32, theta, inv float64) {
	integrateCuBaScalar(p, v, ge, gi, px, theta, inv)
}

// addVec adds src to dst elementwise (len(src) values).
func addVec(dst, src []float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] += x
	}
}

// sigmoids32 replaces every x[i] by sigmoidFast32(x[i]).
func sigmoids32(x []float32) {
	for i, v := range x {
		x[i] = sigmoidFast32(v)
	}
}

// decideRange decides every neuron of a step (see decideAll) and returns how many fired.
func decideRange(o []int32, v, px []float32, u []float64, score []float32, esc neuron.Escape, inv float64) int {
	return decideScalar(o, 0, 0, len(v), v, px, u, score, esc, inv)
}
