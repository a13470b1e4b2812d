//go:build goexperiment.simd && amd64

package sim

import (
	"simd/archsimd"
	"unsafe"

	"github.com/snnsim/snnsim/neuron"
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

// sigmoids32 replaces every x[i] by sigmoidFast32(x[i]), eight at a time with AVX2: the
// same operations in the same order, so the same bits.
func sigmoids32(x []float32) {
	n := len(x)
	m := 0
	if haveAVX2 && n >= 8 {
		m = n &^ 7
		zero := archsimd.BroadcastFloat32x8(0)
		clamp := archsimd.BroadcastFloat32x8(30)
		log2e := archsimd.BroadcastFloat32x8(log2e32)
		half := archsimd.BroadcastFloat32x8(0.5)
		ln2 := archsimd.BroadcastFloat32x8(ln2f32)
		one := archsimd.BroadcastFloat32x8(1)
		mg := archsimd.BroadcastFloat32x8(magic32)
		k2, k3, k4 := archsimd.BroadcastFloat32x8(e2), archsimd.BroadcastFloat32x8(e3), archsimd.BroadcastFloat32x8(e4)
		k5, k6 := archsimd.BroadcastFloat32x8(e5), archsimd.BroadcastFloat32x8(e6)
		px := unsafe.Pointer(&x[0])
		for i := 0; i < m; i += 8 {
			xp := (*[8]float32)(unsafe.Add(px, uintptr(i)*4))
			xv := archsimd.LoadFloat32x8(xp)
			a := xv.Max(zero.Sub(xv)).Min(clamp)
			y := a.Mul(log2e)
			kf := y.Add(half).Floor()
			f := kf.Sub(y).Mul(ln2)
			e := f.Mul(k6)
			e = f.Mul(e.Add(k5))
			e = f.Mul(e.Add(k4))
			e = f.Mul(e.Add(k3))
			e = f.Mul(e.Add(k2))
			e = f.Mul(e.Add(one))
			e = e.Add(one)
			e = e.Mul(mg.Sub(kf).AsUint32x8().ShiftAllLeft(23).AsFloat32x8())
			q := one.Div(one.Add(e))
			e.Mul(q).Merge(q, xv.Less(zero)).Store(xp)
		}
		archsimd.ClearAVXUpperBits()
	}
	for i := m; i < n; i++ {
		x[i] = sigmoidFast32(x[i])
	}
}

// integrateCuBa advances n = len(v) CuBa-LIF neurons by one step without refractory
// neurons (p.Step, and the decay of ge and gi) and writes x_i = (v_i − θ)·inv, the argument
// of each firing probability, into px; four at a time with AVX. The same float32 and
// float64 operations in the same order as integrateCuBaScalar, so the same bits.
func integrateCuBa(p *neuron.Propagator, v, ge, gi []float32, px []float32, theta, inv float64) {
	n := len(v)
	ge, gi, px = ge[:n], gi[:n], px[:n]
	m := 0
	if haveAVX2 && n >= 4 {
		m = n &^ 3
		vinf := archsimd.BroadcastFloat32x4(p.VInf)
		am := archsimd.BroadcastFloat32x4(p.AM)
		ce := archsimd.BroadcastFloat32x4(p.CE)
		ci := archsimd.BroadcastFloat32x4(p.CI)
		ae := archsimd.BroadcastFloat32x4(p.AE)
		ai := archsimd.BroadcastFloat32x4(p.AI)
		th := archsimd.BroadcastFloat64x4(theta)
		iv := archsimd.BroadcastFloat64x4(inv)
		pv, pe, pi := unsafe.Pointer(&v[0]), unsafe.Pointer(&ge[0]), unsafe.Pointer(&gi[0])
		pp := unsafe.Pointer(&px[0])
		for i := 0; i < m; i += 4 {
			off := uintptr(i) * 4
			vp := (*[4]float32)(unsafe.Add(pv, off))
			ep := (*[4]float32)(unsafe.Add(pe, off))
			ip := (*[4]float32)(unsafe.Add(pi, off))
			g1 := archsimd.LoadFloat32x4(ep)
			g2 := archsimd.LoadFloat32x4(ip)
			a := archsimd.LoadFloat32x4(vp).Sub(vinf).Mul(am)
			vn := a.Add(g1.Mul(ce)).Add(g2.Mul(ci)).Add(vinf)
			vn.Store(vp)
			g1.Mul(ae).Store(ep)
			g2.Mul(ai).Store(ip)
			vn.ConvertToFloat64().Sub(th).Mul(iv).ConvertToFloat32().Store((*[4]float32)(unsafe.Add(pp, off)))
		}
		archsimd.ClearAVXUpperBits()
	}
	integrateCuBaScalar(p, v[m:], ge[m:], gi[m:], px[m:], theta, inv)
}

// decideRange decides every neuron of a step (see decideAll) and returns how many fired:
// four at a time with AVX2 (compare, δ, compaction without a branch on the outcome),
// a block with a draw within drawGuard of its probability by decideScalar. The same
// decisions and δ bits as decideScalar over the whole range.
func decideRange(o []int32, v, px []float32, u []float64, score []float32, esc neuron.Escape, inv float64) int {
	n := len(v)
	o, px, u = o[:n], px[:n], u[:n]
	if score != nil {
		score = score[:n]
	}
	m, w := 0, 0
	if haveAVX2 && n >= 4 {
		m = n &^ 3
		zero := archsimd.BroadcastFloat64x4(0)
		one := archsimd.BroadcastFloat64x4(1)
		guard := archsimd.BroadcastFloat64x4(drawGuard32)
		iv := archsimd.BroadcastFloat64x4(inv)
		pp, pu := unsafe.Pointer(&px[0]), unsafe.Pointer(&u[0])
		for i := 0; i < m; i += 4 {
			pr := archsimd.LoadFloat32x4((*[4]float32)(unsafe.Add(pp, uintptr(i)*4))).ConvertToFloat64()
			ui := archsimd.LoadFloat64x4((*[4]float64)(unsafe.Add(pu, uintptr(i)*8)))
			df := ui.Sub(pr)
			if df.Max(zero.Sub(df)).Less(guard).ToBits() != 0 {
				w = decideScalar(o, w, i, i+4, v, px, u, score, esc, inv)
				continue
			}
			fired := ui.Less(pr)
			if score != nil {
				one.Masked(fired).Sub(pr).Mul(iv).ConvertToFloat32().Store((*[4]float32)(score[i : i+4]))
			}
			b := int(fired.ToBits())
			o[w] = int32(i)
			w += b & 1
			o[w] = int32(i + 1)
			w += b >> 1 & 1
			o[w] = int32(i + 2)
			w += b >> 2 & 1
			o[w] = int32(i + 3)
			w += b >> 3 & 1
		}
		archsimd.ClearAVXUpperBits()
	}
	return decideScalar(o, w, m, n, v, px, u, score, esc, inv)
}
