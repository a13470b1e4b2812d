package nncore

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// Kernel reports which matrix kernels this binary uses: "avx2-fma" (GOEXPERIMENT=simd on
// an amd64 CPU with AVX2 and FMA) or "gonum" (gonum's blas32).
var Kernel = "gonum"

var (
	gemmNN = gemmNNGonum
	gemmTN = gemmTNGonum
)

// MatMul writes C = A·B (or adds it to C when add is true), all row-major: A is m×k, B
// k×n, C m×n. It runs on the calling goroutine; the order of every sum is fixed, so the
// result does not depend on how callers split the rows of A and C between goroutines.
func MatMul(c, a, b []float32, m, n, k int, add bool) {
	if len(a) < m*k || len(b) < k*n || len(c) < m*n {
		panic(fmt.Sprintf("nncore: MatMul %d×%d·%d×%d: buffers hold %d, %d and %d values", m, k, k, n, len(a), len(b), len(c)))
	}
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		if !add {
			clear(c[:m*n])
		}
		return
	}
	gemmNN(c, a, b, m, n, k, add)
}

// MatMulTN adds Aᵀ·D to C: A is m×k, D m×n, C k×n (row-major). This is the weight gradient
// of a product z = x·W over m rows (A = x, D = ∂loss/∂z). Like [MatMul] it runs on the
// calling goroutine with a fixed order of sums.
func MatMulTN(c, a, d []float32, m, k, n int) {
	if len(a) < m*k || len(d) < m*n || len(c) < k*n {
		panic(fmt.Sprintf("nncore: MatMulTN %d×%d, %d×%d: buffers hold %d, %d and %d values", m, k, m, n, len(a), len(d), len(c)))
	}
	if m == 0 || n == 0 || k == 0 {
		return
	}
	gemmTN(c, a, d, m, k, n)
}

// Transpose writes the n×m transpose of the row-major m×n matrix a into dst.
func Transpose(dst, a []float32, m, n int) {
	if len(a) < m*n || len(dst) < m*n {
		panic(fmt.Sprintf("nncore: Transpose %d×%d: buffers hold %d and %d values", m, n, len(a), len(dst)))
	}
	const blk = 32
	for i0 := 0; i0 < m; i0 += blk {
		for j0 := 0; j0 < n; j0 += blk {
			for i := i0; i < min(m, i0+blk); i++ {
				row := a[i*n : (i+1)*n]
				for j := j0; j < min(n, j0+blk); j++ {
					dst[j*m+i] = row[j]
				}
			}
		}
	}
}

// gemmNNGonum is the portable MatMul. gonum's Sgemm computes every block of C by one
// goroutine with a fixed order over k: deterministic.
func gemmNNGonum(c, a, b []float32, m, n, k int, add bool) {
	beta := float32(0)
	if add {
		beta = 1
	}
	blas32.Gemm(blas.NoTrans, blas.NoTrans, 1,
		blas32.General{Rows: m, Cols: k, Stride: k, Data: a[:m*k]},
		blas32.General{Rows: k, Cols: n, Stride: n, Data: b[:k*n]},
		beta, blas32.General{Rows: m, Cols: n, Stride: n, Data: c[:m*n]})
}

func gemmTNGonum(c, a, d []float32, m, k, n int) {
	blas32.Gemm(blas.Trans, blas.NoTrans, 1,
		blas32.General{Rows: m, Cols: k, Stride: k, Data: a[:m*k]},
		blas32.General{Rows: m, Cols: n, Stride: n, Data: d[:m*n]},
		1, blas32.General{Rows: k, Cols: n, Stride: n, Data: c[:k*n]})
}
