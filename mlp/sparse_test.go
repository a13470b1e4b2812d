package mlp

import (
	"math"
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

// TestReLU checks the ReLU kernel in use against max(v, 0), NaN and infinities included.
func TestReLU(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	z := []float32{-1, 2, 0, -3.5, nan, inf, -inf, 0.25, 7, -7, nan, 1e-30, -1e-30}
	dst := make([]float32, len(z))
	ReLU.Apply(dst, z)
	for i, v := range z {
		if v != v {
			assert.True(t, dst[i] != dst[i], "NaN at %d", i)
			continue
		}
		assert.Equal(t, max(v, 0)+0, dst[i]+0, "i=%d", i) // +0: −0 and +0 alike
	}
}

// TestDotRows checks the dot-product kernel in use against a float64 reference.
func TestDotRows(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, rows := range []int{1, 3, 8, 10, 17} {
		for _, n := range []int{1, 7, 8, 13, 64, 500} {
			w, x := make([]float32, rows*n), make([]float32, n)
			for i := range w {
				w[i] = float32(r.NormFloat64())
			}
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			dst := make([]float32, rows)
			dotRows(dst, w, x)
			for i := range rows {
				var want float64
				for k := range n {
					want += float64(w[i*n+k]) * float64(x[k])
				}
				assert.InDelta(t, want, float64(dst[i]), 1e-4, "rows=%d n=%d i=%d", rows, n, i)
			}
		}
	}
}

// TestDenseAddGrad checks Dense.AddGrad (narrow and wide layers, the kernels in use)
// against a float64 reference of GW += xᵀ·delta and GB += Σ delta.
func TestDenseAddGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, sh := range []struct{ in, out, rows int }{{37, 10, 9}, {70, 13, 5}, {5, 8, 3}, {100, 40, 7}, {30, 70, 6}} {
		d := NewDense(sh.in, sh.out, 1, 7)
		d.Prepare()
		x, delta := make([]float32, sh.rows*sh.in), make([]float32, sh.rows*sh.out)
		for i := range x {
			if i%3 != 0 {
				x[i] = float32(r.NormFloat64())
			}
		}
		for i := range delta {
			delta[i] = float32(r.NormFloat64())
		}
		for i := range d.GW {
			d.GW[i] = 0.5
		}
		d.AddGrad(x, delta, sh.rows)
		for j := range sh.in {
			for i := range sh.out {
				want := 0.5
				for n := range sh.rows {
					want += float64(x[n*sh.in+j]) * float64(delta[n*sh.out+i])
				}
				require.InDelta(t, want, float64(d.GW[j*sh.out+i]), 1e-4, "%v j=%d i=%d", sh, j, i)
			}
		}
		for i := range sh.out {
			var want float64
			for n := range sh.rows {
				want += float64(delta[n*sh.out+i])
			}
			require.InDelta(t, want, float64(d.GB[i]), 1e-4, "%v b%d", sh, i)
		}
	}
}
