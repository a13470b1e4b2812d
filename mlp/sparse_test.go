package mlp

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSparseRows checks the sparse kernel in use (AVX2 in GOEXPERIMENT=simd builds)
// against a float64 reference, for widths around its blocks of 64 and 8.
func TestSparseRows(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 7, 8, 9, 63, 64, 65, 72, 130, 500} {
		for _, nnz := range []int{0, 1, 5, 40} {
			const rows = 50
			stride := n + 3
			w := make([]float32, rows*stride)
			for i := range w {
				w[i] = float32(r.NormFloat64())
			}
			idx, val := make([]int32, nnz), make([]float32, nnz)
			for k := range idx {
				idx[k] = int32(r.IntN(rows))
				val[k] = float32(r.NormFloat64())
			}
			z := make([]float32, n)
			want := make([]float64, n)
			for i := range z {
				z[i] = float32(r.NormFloat64())
				want[i] = float64(z[i])
				for k, j := range idx {
					want[i] += float64(val[k]) * float64(w[int(j)*stride+i])
				}
			}
			sparseRows(z, idx, val, w, stride)
			for i := range z {
				assert.InDelta(t, want[i], float64(z[i]), 1e-4, "n=%d nnz=%d i=%d", n, nnz, i)
			}
		}
	}
	require.Panics(t, func() { sparseRows(make([]float32, 64), []int32{2}, []float32{1}, make([]float32, 64*2), 64) })
}

// TestPattern checks the non-zero pattern of a matrix and of its transpose.
func TestPattern(t *testing.T) {
	x := []float32{
		0, 1, 0, 2,
		0, 0, 0, 0,
		3, 0, 0, 4,
	}
	var p, q pattern
	p.rowsOf(x, 3, 4)
	assert.Equal(t, []int32{0, 2, 2, 4}, p.ptr)
	assert.Equal(t, []int32{1, 3, 0, 3}, p.idx[:4])
	assert.Equal(t, []float32{1, 2, 3, 4}, p.val[:4])
	p.transpose(&q, 3, 4)
	assert.Equal(t, []int32{0, 1, 2, 2, 4}, q.ptr)
	assert.Equal(t, []int32{2, 0, 0, 2}, q.idx[:4])
	assert.Equal(t, []float32{3, 1, 2, 4}, q.val[:4])
}
