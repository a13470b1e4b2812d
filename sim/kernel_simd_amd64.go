//go:build goexperiment.simd && amd64

package sim

import (
	"encoding/binary"
	"math/bits"
	"simd/archsimd"
	"unsafe"

	"github.com/snnsim/snnsim/neuron"
)

// SIMD reports which neuron-update kernel this build uses.
var SIMD = func() string {
	if archsimd.X86.AVX2() {
		return "avx2"
	}
	return "none (CPU lacks AVX2)"
}()

var haveAVX2 = archsimd.X86.AVX2()

// The vector kernels below address the state arrays through unsafe pointers: the three
// arrays are checked once to hold at least m elements, and the loop touches [0, m) only.
// This removes six bounds checks per eight neurons from the simulator's hottest loop.

// stepCuBa integrates CuBa-LIF neurons eight at a time with AVX2 and appends the ones
// above threshold; the tail (and CPUs without AVX2) use the portable kernel, whose
// results are bit-identical.
func stepCuBa(p *neuron.Propagator, v, ge, gi []float32, scratch *[]uint8, out []int32) []int32 {
	n := len(v)
	if !haveAVX2 || n < 8 {
		return stepCuBaGeneric(p, v, ge, gi, out)
	}
	m := n &^ 7
	ge, gi = ge[:n], gi[:n]
	vinf := archsimd.BroadcastFloat32x8(p.VInf)
	am := archsimd.BroadcastFloat32x8(p.AM)
	ce := archsimd.BroadcastFloat32x8(p.CE)
	ci := archsimd.BroadcastFloat32x8(p.CI)
	ae := archsimd.BroadcastFloat32x8(p.AE)
	ai := archsimd.BroadcastFloat32x8(p.AI)
	vth := archsimd.BroadcastFloat32x8(p.VThresh)
	// The loop stores one threshold bitmask per eight neurons and has no branch inside,
	// so that its pointers and constants stay in registers; the rare set bits are turned
	// into indices afterwards.
	masks := grow(scratch, m/8)
	pv, pe, pi := unsafe.Pointer(&v[0]), unsafe.Pointer(&ge[0]), unsafe.Pointer(&gi[0])
	pm := unsafe.Pointer(&masks[0])
	for i := 0; i < m; i += 8 {
		off := uintptr(i) * 4
		vp := (*[8]float32)(unsafe.Add(pv, off))
		ep := (*[8]float32)(unsafe.Add(pe, off))
		ip := (*[8]float32)(unsafe.Add(pi, off))
		vv := archsimd.LoadFloat32x8(vp)
		g1 := archsimd.LoadFloat32x8(ep)
		g2 := archsimd.LoadFloat32x8(ip)
		g1.Mul(ae).Store(ep)
		g2.Mul(ai).Store(ip)
		vn := vv.Sub(vinf).Mul(am).Add(g1.Mul(ce)).Add(g2.Mul(ci)).Add(vinf)
		vn.Store(vp)
		*(*uint8)(unsafe.Add(pm, i>>3)) = vn.Greater(vth).ToBits()
	}
	// Leave no dirty upper halves behind: the scalar (SSE) code that runs next would pay
	// a transition penalty on every instruction.
	archsimd.ClearAVXUpperBits()
	out = appendMasked(out, masks)
	return tail(stepCuBaGeneric, p, v, ge, gi, out, m)
}

// stepCoBa is the AVX2 CoBa-LIF kernel (forward Euler on v, exact conductance decay).
func stepCoBa(p *neuron.Propagator, v, ge, gi []float32, scratch *[]uint8, out []int32) []int32 {
	n := len(v)
	if !haveAVX2 || n < 8 {
		return stepCoBaGeneric(p, v, ge, gi, out)
	}
	m := n &^ 7
	ge, gi = ge[:n], gi[:n]
	vinf := archsimd.BroadcastFloat32x8(p.VInf)
	kk := archsimd.BroadcastFloat32x8(p.K)
	ee := archsimd.BroadcastFloat32x8(p.EE)
	ei := archsimd.BroadcastFloat32x8(p.EI)
	ae := archsimd.BroadcastFloat32x8(p.AE)
	ai := archsimd.BroadcastFloat32x8(p.AI)
	vth := archsimd.BroadcastFloat32x8(p.VThresh)
	masks := grow(scratch, m/8)
	pv, pe, pi := unsafe.Pointer(&v[0]), unsafe.Pointer(&ge[0]), unsafe.Pointer(&gi[0])
	pm := unsafe.Pointer(&masks[0])
	for i := 0; i < m; i += 8 {
		off := uintptr(i) * 4
		vp := (*[8]float32)(unsafe.Add(pv, off))
		ep := (*[8]float32)(unsafe.Add(pe, off))
		ip := (*[8]float32)(unsafe.Add(pi, off))
		x := archsimd.LoadFloat32x8(vp)
		g1 := archsimd.LoadFloat32x8(ep)
		g2 := archsimd.LoadFloat32x8(ip)
		g1.Mul(ae).Store(ep)
		g2.Mul(ai).Store(ip)
		a := g1.Mul(ee.Sub(x))
		b := g2.Mul(ei.Sub(x))
		c := x.Sub(vinf)
		vn := x.Add(kk.Mul(a.Add(b).Sub(c)))
		vn.Store(vp)
		*(*uint8)(unsafe.Add(pm, i>>3)) = vn.Greater(vth).ToBits()
	}
	// Leave no dirty upper halves behind: the scalar (SSE) code that runs next would pay
	// a transition penalty on every instruction.
	archsimd.ClearAVXUpperBits()
	out = appendMasked(out, masks)
	return tail(stepCoBaGeneric, p, v, ge, gi, out, m)
}

// grow returns (*buf)[:n], reallocating when it is too short.
func grow(buf *[]uint8, n int) []uint8 {
	if cap(*buf) < n {
		*buf = make([]uint8, n)
	}
	*buf = (*buf)[:n]
	return *buf
}

// appendMasked appends the index of every set bit of masks (bit j of byte k is neuron
// 8k+j), scanning eight bytes at a time.
func appendMasked(out []int32, masks []uint8) []int32 {
	k := 0
	for ; k+8 <= len(masks); k += 8 {
		w := binary.LittleEndian.Uint64(masks[k:])
		for ; w != 0; w &= w - 1 {
			out = append(out, int32(k*8+bits.TrailingZeros64(w)))
		}
	}
	for ; k < len(masks); k++ {
		for fb := masks[k]; fb != 0; fb &= fb - 1 {
			out = append(out, int32(k*8+bits.TrailingZeros8(fb)))
		}
	}
	return out
}

// tail runs the portable kernel on neurons [m, len(v)) and shifts their indices.
func tail(kernel func(*neuron.Propagator, []float32, []float32, []float32, []int32) []int32,
	p *neuron.Propagator, v, ge, gi []float32, out []int32, m int) []int32 {
	if m == len(v) {
		return out
	}
	mid := len(out)
	out = kernel(p, v[m:], ge[m:], gi[m:], out)
	for k := mid; k < len(out); k++ {
		out[k] += int32(m)
	}
	return out
}
