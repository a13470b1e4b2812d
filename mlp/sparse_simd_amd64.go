//go:build goexperiment.simd && amd64

package mlp

import "simd/archsimd"

//go:noescape
func sparse64(z *float32, idx *int32, val *float32, n int, w *float32, stride uintptr)

// sparseRowsAVX2 is sparseRows with blocks of 64 outputs held in eight registers while
// every k streams past (sparse64, assembly: the Go compiler's archsimd version of the same
// loop spilled and shuffled its accumulators and ran at half the speed). Per k, one
// broadcast and eight FMAs; z is loaded and stored once per block instead of once per
// four k. The narrower remainder goes eight outputs at a time, then scalar.
func sparseRowsAVX2(z []float32, idx []int32, val []float32, w []float32, stride int) {
	n := len(z)
	val = val[:len(idx)]
	i := 0
	if n >= 64 && len(idx) > 0 {
		// Bounds: every row idx[k] of w must hold the n outputs.
		lo, hi := idx[0], idx[0]
		for _, j := range idx {
			lo, hi = min(lo, j), max(hi, j)
		}
		if lo < 0 || int(hi)*stride+n > len(w) {
			panic("mlp: sparseRows: index out of range")
		}
		for ; i+64 <= n; i += 64 {
			sparse64(&z[i], &idx[0], &val[0], len(idx), &w[i], uintptr(4*stride))
		}
	}
	for ; i+8 <= n; i += 8 {
		a := archsimd.LoadFloat32x8Slice(z[i:])
		for k, j := range idx {
			o := int(j)*stride + i
			a = archsimd.LoadFloat32x8Slice(w[o:o+8]).MulAdd(archsimd.BroadcastFloat32x8(val[k]), a)
		}
		a.StoreSlice(z[i:])
	}
	archsimd.ClearAVXUpperBits()
	for ; i < n; i++ {
		s := z[i]
		for k, j := range idx {
			s += val[k] * w[int(j)*stride+i]
		}
		z[i] = s
	}
}
