//go:build goexperiment.simd && amd64

package lr

import "simd/archsimd"

func init() {
	if archsimd.X86.AVX() {
		addScaled = addScaledAVX
	}
}

// addScaledAVX is addScaledGeneric in one pass, eight values at a time: a product then a
// sum, not fused, as in gonum's Saxpy, so the bits are the same.
func addScaledAVX(dst, z, e []float32, s float32) {
	n := len(z)
	dst, e = dst[:n], e[:n]
	vs := archsimd.BroadcastFloat32x8(s)
	i := 0
	for ; i+8 <= n; i += 8 {
		archsimd.LoadFloat32x8Slice(z[i:]).Add(vs.Mul(archsimd.LoadFloat32x8Slice(e[i:]))).StoreSlice(dst[i:])
	}
	archsimd.ClearAVXUpperBits()
	for ; i < n; i++ {
		dst[i] = z[i] + float32(s*e[i])
	}
}
