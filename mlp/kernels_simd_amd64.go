//go:build goexperiment.simd && amd64

package mlp

import (
	"os"
	"simd/archsimd"
)

// Every kernel ends with VZEROUPPER: without it, the SSE code that runs next (math.Exp,
// the runtime) pays for the dirty upper halves of the vector registers, which made
// math.Exp twenty times slower in the LR estimator on this machine class.

// The register-blocked sparse kernel of wide layers (sparseRowsAVX2) is the default when
// the CPU has AVX2 and FMA (SNNSIM_MLP_KERNEL=gonum turns it off). The AVX2 versions of
// the level-1 kernels (axpy, axpy4, dot, dot4) are opt-in (SNNSIM_MLP_KERNEL=avx2): on the
// 2-core EPYC machines of this project they did not beat gonum's kernels on the LR step
// (interleaved runs, see docs/lr-training.md).
func init() {
	if !archsimd.X86.AVX2() || !archsimd.X86.FMA() {
		return
	}
	relu = reluAVX
	switch os.Getenv("SNNSIM_MLP_KERNEL") {
	case "gonum":
		return
	case "avx2":
		axpy, axpy4, dot, dot4 = axpyAVX2, axpy4AVX2, dotAVX2, dot4AVX2
	}
	Kernel = "avx2-fma"
	sparseRows, sparseCols = sparseRowsAVX2, 64
	dotRows, narrowGrad8 = dotRowsAVX2, narrowGradAVX2
}

func axpyAVX2(a float32, x, y []float32) {
	n := len(x)
	y = y[:n]
	va := archsimd.BroadcastFloat32x8(a)
	i := 0
	for ; i+16 <= n; i += 16 {
		y0 := archsimd.LoadFloat32x8Slice(y[i:])
		y1 := archsimd.LoadFloat32x8Slice(y[i+8:])
		y0 = archsimd.LoadFloat32x8Slice(x[i:]).MulAdd(va, y0)
		y1 = archsimd.LoadFloat32x8Slice(x[i+8:]).MulAdd(va, y1)
		y0.StoreSlice(y[i:])
		y1.StoreSlice(y[i+8:])
	}
	for ; i+8 <= n; i += 8 {
		archsimd.LoadFloat32x8Slice(x[i:]).MulAdd(va, archsimd.LoadFloat32x8Slice(y[i:])).StoreSlice(y[i:])
	}
	archsimd.ClearAVXUpperBits()
	for ; i < n; i++ {
		y[i] += a * x[i]
	}
}

func axpy4AVX2(a0, a1, a2, a3 float32, x0, x1, x2, x3, y []float32) {
	n := len(y)
	x0, x1, x2, x3 = x0[:n], x1[:n], x2[:n], x3[:n]
	v0 := archsimd.BroadcastFloat32x8(a0)
	v1 := archsimd.BroadcastFloat32x8(a1)
	v2 := archsimd.BroadcastFloat32x8(a2)
	v3 := archsimd.BroadcastFloat32x8(a3)
	i := 0
	for ; i+8 <= n; i += 8 {
		acc := archsimd.LoadFloat32x8Slice(y[i:])
		acc = archsimd.LoadFloat32x8Slice(x0[i:]).MulAdd(v0, acc)
		acc = archsimd.LoadFloat32x8Slice(x1[i:]).MulAdd(v1, acc)
		acc = archsimd.LoadFloat32x8Slice(x2[i:]).MulAdd(v2, acc)
		acc = archsimd.LoadFloat32x8Slice(x3[i:]).MulAdd(v3, acc)
		acc.StoreSlice(y[i:])
	}
	archsimd.ClearAVXUpperBits()
	for ; i < n; i++ {
		y[i] += a0*x0[i] + a1*x1[i] + a2*x2[i] + a3*x3[i]
	}
}

// sum8 adds the eight lanes stored by a kernel (after its VZEROUPPER: scalar code is SSE).
func sum8(b *[8]float32) float32 {
	return ((b[0] + b[4]) + (b[1] + b[5])) + ((b[2] + b[6]) + (b[3] + b[7]))
}

func dotAVX2(x, y []float32) float32 {
	n := len(x)
	y = y[:n]
	var s0, s1 archsimd.Float32x8
	i := 0
	for ; i+16 <= n; i += 16 {
		s0 = archsimd.LoadFloat32x8Slice(x[i:]).MulAdd(archsimd.LoadFloat32x8Slice(y[i:]), s0)
		s1 = archsimd.LoadFloat32x8Slice(x[i+8:]).MulAdd(archsimd.LoadFloat32x8Slice(y[i+8:]), s1)
	}
	for ; i+8 <= n; i += 8 {
		s0 = archsimd.LoadFloat32x8Slice(x[i:]).MulAdd(archsimd.LoadFloat32x8Slice(y[i:]), s0)
	}
	var b [8]float32
	s0.Add(s1).Store(&b)
	archsimd.ClearAVXUpperBits()
	s := sum8(&b)
	for ; i < n; i++ {
		s += x[i] * y[i]
	}
	return s
}

func dot4AVX2(w0, w1, w2, w3, x []float32) (float32, float32, float32, float32) {
	n := len(x)
	w0, w1, w2, w3 = w0[:n], w1[:n], w2[:n], w3[:n]
	var s0, s1, s2, s3 archsimd.Float32x8
	i := 0
	for ; i+8 <= n; i += 8 {
		xv := archsimd.LoadFloat32x8Slice(x[i:])
		s0 = archsimd.LoadFloat32x8Slice(w0[i:]).MulAdd(xv, s0)
		s1 = archsimd.LoadFloat32x8Slice(w1[i:]).MulAdd(xv, s1)
		s2 = archsimd.LoadFloat32x8Slice(w2[i:]).MulAdd(xv, s2)
		s3 = archsimd.LoadFloat32x8Slice(w3[i:]).MulAdd(xv, s3)
	}
	// Reduce the four accumulators together: per 128-bit group, VHADDPS twice gives
	// [Σs0, Σs1, Σs2, Σs3] of each half; the two halves are then added.
	t := s0.AddPairsGrouped(s1).AddPairsGrouped(s2.AddPairsGrouped(s3))
	var o [4]float32
	t.GetLo().Add(t.GetHi()).Store(&o)
	archsimd.ClearAVXUpperBits()
	r0, r1, r2, r3 := o[0], o[1], o[2], o[3]
	for ; i < n; i++ {
		r0 += w0[i] * x[i]
		r1 += w1[i] * x[i]
		r2 += w2[i] * x[i]
		r3 += w3[i] * x[i]
	}
	return r0, r1, r2, r3
}

// reluAVX is reluGeneric eight values at a time. VMAXPS returns its second operand when
// either is NaN, so the zero goes first: a NaN stays a NaN.
func reluAVX(dst, z []float32) {
	n := len(z)
	dst = dst[:n]
	var zero archsimd.Float32x8
	i := 0
	for ; i+8 <= n; i += 8 {
		zero.Max(archsimd.LoadFloat32x8Slice(z[i:])).StoreSlice(dst[i:])
	}
	archsimd.ClearAVXUpperBits()
	for ; i < n; i++ {
		dst[i] = max(z[i], 0)
	}
}
