package mlp

import (
	"testing"

	"github.com/snnsim/snnsim/dataset"

	"github.com/snnsim/snnsim/lr"
)

// mnistLike returns B MNIST training samples, or when the files are missing B samples
// shaped like them (784 inputs, ~20 % non-zero).
func mnistLike(B int) ([]float32, []uint8) {
	if train, _, err := dataset.Load("mnist", ""); err == nil {
		s := train.Subset(B)
		return s.X, s.Y
	}
	x, y := synth(B, 784, 10, 9)
	for i := range x {
		if i%5 != 0 {
			x[i] = 0
		}
	}
	return x, y
}

// BenchmarkLRStep is one LR gradient estimate of the reference setting: MLP 784-500-10,
// batch 100, K = 10 antithetic copies, noise in both layers.
func BenchmarkLRStep(b *testing.B) {
	for _, vr := range []lr.VR{{Antithetic: true}, {Antithetic: true, LayerWise: true}} {
		b.Run(vr.String(), func(b *testing.B) {
			m, _ := New([]int{784, 500, 10}, ReLU, 0.1, 1)
			x, y := mnistLike(100)
			est, err := lr.NewEstimator(m.Stages(), CrossEntropy, lr.Config{Copies: 10, VR: vr, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := range b.N {
				if _, err := est.Grad(x, y, 100, uint64(i)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(100*b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// BenchmarkBPStep is one backpropagation gradient of MLP 784-500-10 on a batch of 100.
func BenchmarkBPStep(b *testing.B) {
	m, _ := New([]int{784, 500, 10}, ReLU, 0.1, 1)
	x, y := mnistLike(100)
	bp, _ := NewBP(m, CrossEntropy)
	b.ResetTimer()
	for i := range b.N {
		if _, err := bp.Grad(x, y, 100, uint64(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(100*b.N)/b.Elapsed().Seconds(), "samples/s")
}

// BenchmarkDenseMNIST times the first layer of the MNIST MLP (784→500, ~20 % non-zero
// inputs) on a group of 4 samples (the estimator's parallel task) and its gradient on a
// batch of 100.
func BenchmarkDenseMNIST(b *testing.B) {
	d := NewDense(784, 500, 1, 1)
	d.Workers = 1
	x, _ := mnistLike(100)
	z := make([]float32, 100*500)
	delta := make([]float32, 100*500)
	for i := range delta {
		delta[i] = float32(i%7) * 0.01
	}
	b.Run("forward4", func(b *testing.B) {
		for range b.N {
			d.Forward(z, x[:4*784], 4)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(4*b.N), "ns/sample")
	})
	b.Run("forward100", func(b *testing.B) {
		d.Workers = 1
		for range b.N {
			d.Forward(z, x, 100)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(100*b.N), "ns/sample")
	})
	b.Run("addgrad100", func(b *testing.B) {
		d.Workers = 1
		for range b.N {
			d.AddGrad(x, delta, 100)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(100*b.N), "ns/sample")
	})
}

// BenchmarkAxpy4 is the inner kernel on cache-resident rows of 500.
func BenchmarkAxpy4(b *testing.B) {
	x := make([]float32, 500)
	y := make([]float32, 500)
	for range b.N {
		axpy4(1, 2, 3, 4, x, x, x, x, y)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*2000), "ns/MAC")
}
