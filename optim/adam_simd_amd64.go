//go:build goexperiment.simd && amd64

package optim

import "simd/archsimd"

func init() {
	if archsimd.X86.AVX() {
		adamUpdate = adamUpdateAVX
	}
}

// adamUpdateAVX is adamUpdateGeneric eight values at a time: the same multiplications,
// additions, square root and division in the same order (no fused multiply-add), so
// every value is bit-identical to the scalar loop's.
func adamUpdateAVX(w, g, m, v []float32, b1, b2, step, eps float32) {
	n := len(w)
	g, m, v = g[:n], m[:n], v[:n]
	vb1, vc1 := archsimd.BroadcastFloat32x8(b1), archsimd.BroadcastFloat32x8(1-b1)
	vb2, vc2 := archsimd.BroadcastFloat32x8(b2), archsimd.BroadcastFloat32x8(1-b2)
	vstep, veps := archsimd.BroadcastFloat32x8(step), archsimd.BroadcastFloat32x8(eps)
	i := 0
	for ; i+8 <= n; i += 8 {
		gj := archsimd.LoadFloat32x8Slice(g[i:])
		mj := vb1.Mul(archsimd.LoadFloat32x8Slice(m[i:])).Add(vc1.Mul(gj))
		vj := vb2.Mul(archsimd.LoadFloat32x8Slice(v[i:])).Add(vc2.Mul(gj).Mul(gj))
		mj.StoreSlice(m[i:])
		vj.StoreSlice(v[i:])
		d := vstep.Mul(mj).Div(vj.Sqrt().Add(veps))
		archsimd.LoadFloat32x8Slice(w[i:]).Sub(d).StoreSlice(w[i:])
	}
	archsimd.ClearAVXUpperBits()
	adamUpdateGeneric(w[i:], g[i:], m[i:], v[i:], b1, b2, step, eps)
}
