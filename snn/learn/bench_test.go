package learn

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/sim"
)

// mnistLike draws n MNIST-like inputs: 784 pixels, about 19 % of them lit.
func mnistLike(n int) ([]float32, []uint8) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, n*784)
	for i := range x {
		if rng.Float64() < 0.19 {
			x[i] = 0.3 + 0.7*rng.Float32()
		}
	}
	y := make([]uint8, n)
	for i := range y {
		y[i] = uint8(rng.IntN(10))
	}
	return x, y
}

// BenchmarkGrad measures one gradient estimate per MNIST-sized sample (784-500-10,
// T = 25): LR with K copies per layer (layer-wise injection) and BPTT. Reported per sample.
func BenchmarkGrad(b *testing.B) {
	const rows = 8
	x, y := mnistLike(rows)
	for _, tc := range []struct {
		name string
		k    int
	}{{"lr/K=4", 4}, {"lr/K=16", 16}, {"bptt", 0}} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := DefaultConfig([]int{784, 500, 10}, 25)
			m, err := New(cfg, 1)
			if err != nil {
				b.Fatal(err)
			}
			var l lr.Learner = NewBPTT(m, BPTTConfig{Seed: 1, Workers: 1})
			if tc.k > 0 {
				e, err := NewLR(m, LRConfig{Copies: tc.k, VR: lr.VR{LayerWise: true}, Baseline: lr.BaselineLOO, Seed: 1, Workers: 1})
				if err != nil {
					b.Fatal(err)
				}
				l = e
			}
			step := uint64(0)
			for b.Loop() {
				if _, err := l.Grad(x, y, rows, step); err != nil {
					b.Fatal(err)
				}
				step++
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/rows, "µs/sample")
		})
	}
}

// BenchmarkLogits measures inference through the engine (784-500-10, T = 25).
func BenchmarkLogits(b *testing.B) {
	const rows = 16
	x, _ := mnistLike(rows)
	m, err := New(DefaultConfig([]int{784, 500, 10}, 25), 1)
	if err != nil {
		b.Fatal(err)
	}
	m.Workers = 1
	z := make([]float32, rows*10)
	for _, noise := range []bool{false, true} {
		b.Run(fmt.Sprintf("noise=%v", noise), func(b *testing.B) {
			for b.Loop() {
				m.Logits(z, x, rows, noise, 1)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/rows, "µs/sample")
		})
	}
}

// BenchmarkScoreProduct compares the two ways of forming one sample's first-layer score
// Σ_t Δ(t) ē(t)ᵀ (784 inputs, 500 neurons, T = 25, MNIST-like input): spike-driven in
// time-reversed form (BackFilter, then λ(t) added into the row of every input that
// spiked: the engine's way) and as a dense product Ēᵀ·Δ with gonum's blas32.Gemm.
func BenchmarkScoreProduct(b *testing.B) {
	const T, nIn, nHid = 25, 784, 500
	m, err := New(DefaultConfig([]int{nIn, nHid, 10}, T), 1)
	if err != nil {
		b.Fatal(err)
	}
	x, _ := mnistLike(1)
	w := m.newWorker()
	m.encode(w, x, 1, 0)
	rng := rand.New(rand.NewPCG(3, 3))
	delta := make([]float32, T*nHid)
	for i := range delta {
		delta[i] = float32(rng.NormFloat64())
	}
	grad := make([]float32, nIn*nHid)
	lam := make([]float32, T*nHid)
	scratch := make([]float32, nHid)
	b.Run("spike-driven", func(b *testing.B) {
		for b.Loop() {
			sim.BackFilter(lam, delta, scratch, T, nHid, m.coef[0])
			m.Sim.AccumScore(0, grad, w.spk.Ptr, w.spk.IDs, lam, 0, nIn)
		}
	})
	ebar := make([]float32, T*nIn)
	g := make([]float32, nIn)
	b.Run("gemm", func(b *testing.B) {
		for b.Loop() {
			sim.ForwardTrace(ebar, g, w.spk.Ptr, w.spk.IDs, nIn, m.coef[0])
			blas32.Gemm(blas.Trans, blas.NoTrans, 1,
				blas32.General{Rows: T, Cols: nIn, Stride: nIn, Data: ebar},
				blas32.General{Rows: T, Cols: nHid, Stride: nHid, Data: delta},
				1, blas32.General{Rows: nIn, Cols: nHid, Stride: nHid, Data: grad})
		}
	})
}
