//go:build !(goexperiment.simd && amd64)

package sim

import "github.com/snnsim/snnsim/neuron"

// SIMD reports which neuron-update kernel this build uses.
const SIMD = "none (portable Go; build with GOEXPERIMENT=simd for AVX2)"

func stepCuBa(p *neuron.Propagator, v, ge, gi []float32, _ *[]uint8, out []int32) []int32 {
	return stepCuBaGeneric(p, v, ge, gi, out)
}

func stepCoBa(p *neuron.Propagator, v, ge, gi []float32, _ *[]uint8, out []int32) []int32 {
	return stepCoBaGeneric(p, v, ge, gi, out)
}
