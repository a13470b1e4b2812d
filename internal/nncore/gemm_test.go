package nncore

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

func TestMatMul(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][3]int{{1, 1, 1}, {5, 3, 7}, {4, 16, 9}, {9, 33, 20}, {17, 10, 27}, {64, 32, 288}, {3, 8, 0}} {
		m, n, k := sz[0], sz[1], sz[2]
		t.Run(fmt.Sprint(sz), func(t *testing.T) {
			a, b := randSlice(r, m*k), randSlice(r, k*n)
			for _, add := range []bool{false, true} {
				c := randSlice(r, m*n)
				want := make([]float32, m*n)
				for i := range m {
					for j := range n {
						var s float64
						if add {
							s = float64(c[i*n+j])
						}
						for p := range k {
							s += float64(a[i*k+p]) * float64(b[p*n+j])
						}
						want[i*n+j] = float32(s)
					}
				}
				MatMul(c, a, b, m, n, k, add)
				require.InDeltaSlice(t, want, c, 1e-3)
			}
		})
	}
}

func TestMatMulTN(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, sz := range [][3]int{{1, 1, 1}, {5, 3, 7}, {300, 9, 33}, {600, 27, 32}, {7, 4, 10}} {
		m, k, n := sz[0], sz[1], sz[2]
		t.Run(fmt.Sprint(sz), func(t *testing.T) {
			a, d, c := randSlice(r, m*k), randSlice(r, m*n), randSlice(r, k*n)
			want := make([]float32, k*n)
			for p := range k {
				for j := range n {
					s := float64(c[p*n+j])
					for i := range m {
						s += float64(a[i*k+p]) * float64(d[i*n+j])
					}
					want[p*n+j] = float32(s)
				}
			}
			MatMulTN(c, a, d, m, k, n)
			require.InDeltaSlice(t, want, c, 2e-3)
		})
	}
}

func TestTranspose(t *testing.T) {
	a := []float32{1, 2, 3, 4, 5, 6}
	dst := make([]float32, 6)
	Transpose(dst, a, 2, 3)
	require.Equal(t, []float32{1, 4, 2, 5, 3, 6}, dst)
}

func benchGemm(b *testing.B, m, n, k int, tn bool) {
	r := rand.New(rand.NewPCG(1, 1))
	a, bb, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
	d := randSlice(r, m*n)
	g := make([]float32, k*n)
	b.ResetTimer()
	for range b.N {
		if tn {
			MatMulTN(g, a, d, m, k, n)
		} else {
			MatMul(c, a, bb, m, n, k, false)
		}
	}
	b.ReportMetric(float64(2*m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
}

// Shapes of a CIFAR-10 convolution (8 images of 32×32, 3×3×32 → 32) and of an MNIST
// dense layer.
func BenchmarkMatMulConv(b *testing.B)   { benchGemm(b, 8192, 32, 288, false) }
func BenchmarkMatMulTNConv(b *testing.B) { benchGemm(b, 8192, 32, 288, true) }
func BenchmarkMatMulDense(b *testing.B)  { benchGemm(b, 64, 128, 784, false) }
