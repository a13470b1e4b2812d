package nncore

import "github.com/snnsim/snnsim/lr"

// rowBlock is the number of rows of one parallel task of ParMatMul.
const rowBlock = 64

// ParMatMul is [MatMul] with the rows of A and C split into fixed blocks run on up to
// workers goroutines (GOMAXPROCS when <= 0): the result does not depend on workers.
func ParMatMul(workers int, c, a, b []float32, m, n, k int, add bool) {
	blocks := (m + rowBlock - 1) / rowBlock
	lr.ParallelFor(workers, blocks, func(_, i int) {
		r0, r1 := i*rowBlock, min(m, (i+1)*rowBlock)
		MatMul(c[r0*n:r1*n], a[r0*k:r1*k], b, r1-r0, n, k, add)
	})
}

// GradAcc adds weight gradients Aᵀ·D over many rows in parallel: the rows are cut into
// chunks, a fixed number of partial sums each own a fixed set of chunks, and the partial
// sums are added in order, so the result is bit-identical at any number of workers.
type GradAcc struct {
	parts [][]float32
}

const (
	accChunk = 256
	accParts = 8
)

// AddTN adds Aᵀ·D to C (A m×k, D m×n, C k×n), as [MatMulTN].
func (g *GradAcc) AddTN(workers int, c, a, d []float32, m, k, n int) {
	if m == 0 {
		return
	}
	chunks := (m + accChunk - 1) / accChunk
	parts := min(accParts, chunks)
	if parts == 1 {
		MatMulTN(c, a, d, m, k, n)
		return
	}
	for len(g.parts) < parts || len(g.parts[0]) < k*n {
		g.parts = append(g.parts[:0], make([][]float32, parts)...)
		for i := range g.parts {
			g.parts[i] = make([]float32, k*n)
		}
	}
	lr.ParallelFor(workers, parts, func(_, p int) {
		buf := g.parts[p][:k*n]
		clear(buf)
		for q := p; q < chunks; q += parts {
			r0, r1 := q*accChunk, min(m, (q+1)*accChunk)
			MatMulTN(buf, a[r0*k:r1*k], d[r0*n:r1*n], r1-r0, k, n)
		}
	})
	c = c[:k*n]
	for p := range parts {
		for i, v := range g.parts[p][:k*n] {
			c[i] += v
		}
	}
}

// AddColSums adds the column sums of the m×n matrix d to c (a bias gradient).
func AddColSums(c, d []float32, m, n int) {
	c = c[:n]
	for r := range m {
		for i, v := range d[r*n : (r+1)*n] {
			c[i] += v
		}
	}
}
