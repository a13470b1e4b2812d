package mlp

import "gonum.org/v1/gonum/blas/gonum"

// The dense kernels go through gonum's pure-Go BLAS level 1 (amd64 assembly inside
// gonum). Builds with GOEXPERIMENT=simd on amd64 carry AVX2/FMA versions
// (kernels_simd_amd64.go), used when SNNSIM_MLP_KERNEL=avx2 and the CPU has them. Each
// kernel has a fixed order of operations, so results are deterministic with either (they
// differ in rounding: FMA).
var blas gonum.Implementation

// Kernel reports which dense kernels the process uses: "gonum" or "avx2-fma".
var Kernel = "gonum"

var (
	axpy  = axpyGeneric
	axpy4 = axpy4Generic
	dot   = dotGeneric
	dot4  = dot4Generic
)

// axpyGeneric: y += a·x.
func axpyGeneric(a float32, x, y []float32) {
	blas.Saxpy(len(x), a, x, 1, y[:len(x)], 1)
}

// axpy4Generic: y += a0·x0 + a1·x1 + a2·x2 + a3·x3.
func axpy4Generic(a0, a1, a2, a3 float32, x0, x1, x2, x3, y []float32) {
	axpyGeneric(a0, x0, y)
	axpyGeneric(a1, x1, y)
	axpyGeneric(a2, x2, y)
	axpyGeneric(a3, x3, y)
}

// dotGeneric returns x·y.
func dotGeneric(x, y []float32) float32 {
	return blas.Sdot(len(x), x, 1, y[:len(x)], 1)
}

// dot4Generic returns w0·x, w1·x, w2·x, w3·x.
func dot4Generic(w0, w1, w2, w3, x []float32) (float32, float32, float32, float32) {
	return dotGeneric(w0, x), dotGeneric(w1, x), dotGeneric(w2, x), dotGeneric(w3, x)
}

// axpyRows adds Σ_k a[k]·x_k into y, four rows at a time; rows[k] is the offset of x_k
// in src, each of len(y) values.
func axpyRows(y []float32, a []float32, rows []int32, src []float32) {
	n := len(y)
	k := 0
	for ; k+4 <= len(a); k += 4 {
		o0, o1, o2, o3 := int(rows[k]), int(rows[k+1]), int(rows[k+2]), int(rows[k+3])
		axpy4(a[k], a[k+1], a[k+2], a[k+3], src[o0:o0+n], src[o1:o1+n], src[o2:o2+n], src[o3:o3+n], y)
	}
	for ; k < len(a); k++ {
		o := int(rows[k])
		axpy(a[k], src[o:o+n], y)
	}
}
