//go:build goexperiment.simd && amd64

package sim

import (
	"math"
	"simd/archsimd"
	"unsafe"
)

// addVec adds src to dst elementwise (len(src) values), eight at a time with AVX2: the
// row additions of drives and score accumulation. Plain float32 additions, so the result
// is that of the portable loop.
func addVec(dst, src []float32) {
	n := len(src)
	dst = dst[:n]
	m := 0
	if haveAVX2 && n >= 8 {
		m = n &^ 7
		pd, ps := unsafe.Pointer(&dst[0]), unsafe.Pointer(&src[0])
		for i := 0; i < m; i += 8 {
			off := uintptr(i) * 4
			dp := (*[8]float32)(unsafe.Add(pd, off))
			sp := (*[8]float32)(unsafe.Add(ps, off))
			archsimd.LoadFloat32x8(dp).Add(archsimd.LoadFloat32x8(sp)).Store(dp)
		}
		archsimd.ClearAVXUpperBits()
	}
	for i := m; i < n; i++ {
		dst[i] += src[i]
	}
}

// sigmoids replaces every x[i] by sigmoidFast(x[i]), four at a time with AVX2: the same
// operations in the same order, so the same bits.
func sigmoids(x []float64) {
	n := len(x)
	m := 0
	if haveAVX2 && n >= 4 {
		m = n &^ 3
		zero := archsimd.BroadcastFloat64x4(0)
		clamp := archsimd.BroadcastFloat64x4(40)
		log2e := archsimd.BroadcastFloat64x4(math.Log2E)
		half := archsimd.BroadcastFloat64x4(0.5)
		ln2 := archsimd.BroadcastFloat64x4(math.Ln2)
		one := archsimd.BroadcastFloat64x4(1)
		mg := archsimd.BroadcastFloat64x4(magic)
		px := unsafe.Pointer(&x[0])
		for i := 0; i < m; i += 4 {
			xp := (*[4]float64)(unsafe.Add(px, uintptr(i)*8))
			xv := archsimd.LoadFloat64x4(xp)
			a := xv.Max(zero.Sub(xv)).Min(clamp)
			y := a.Mul(log2e)
			kf := y.Add(half).Floor()
			f := kf.Sub(y).Mul(ln2)
			e := f.Mul(archsimd.BroadcastFloat64x4(c10))
			e = f.Mul(e.Add(archsimd.BroadcastFloat64x4(c9)))
			e = f.Mul(e.Add(archsimd.BroadcastFloat64x4(c8)))
			e = f.Mul(e.Add(archsimd.BroadcastFloat64x4(c7)))
			e = f.Mul(e.Add(archsimd.BroadcastFloat64x4(c6)))
			e = f.Mul(e.Add(archsimd.BroadcastFloat64x4(c5)))
			e = f.Mul(e.Add(archsimd.BroadcastFloat64x4(c4)))
			e = f.Mul(e.Add(archsimd.BroadcastFloat64x4(c3)))
			e = f.Mul(e.Add(archsimd.BroadcastFloat64x4(c2)))
			e = f.Mul(e.Add(one))
			e = e.Add(one)
			e = e.Mul(mg.Sub(kf).AsUint64x4().ShiftAllLeft(52).AsFloat64x4())
			q := one.Div(one.Add(e))
			e.Mul(q).Merge(q, xv.Less(zero)).Store(xp)
		}
		archsimd.ClearAVXUpperBits()
	}
	for i := m; i < n; i++ {
		x[i] = sigmoidFast(x[i])
	}
}
