package cnn

import (
	"math/rand/v2"
	"testing"

	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/mlp"
)

func benchConv(b *testing.B, grad bool) {
	// The second convolution of the CIFAR-10 network: 32→32 channels of 16×16, 3×3.
	c, err := NewConv2D(Shape{32, 16, 16}, 32, 3, 1, 1, false, 1, 1)
	if err != nil {
		b.Fatal(err)
	}
	const rows = 32
	r := rand.New(rand.NewPCG(1, 1))
	in, out := c.Dims()
	x, z := randSlice(r, rows*in, 1), make([]float32, rows*out)
	d := randSlice(r, rows*out, 1)
	b.ResetTimer()
	for range b.N {
		if grad {
			c.AddGrad(x, d, rows)
		} else {
			c.Forward(z, x, rows)
		}
	}
	o := c.Out()
	flops := 2 * float64(rows*o.H*o.W*c.F*c.K*c.K*c.In.C)
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
}

func BenchmarkConvForward(b *testing.B) { benchConv(b, false) }
func BenchmarkConvAddGrad(b *testing.B) { benchConv(b, true) }

func benchNet(b *testing.B, spec string, in Shape, method string) {
	m, err := New(spec, in, 10, mlp.ReLU, 0.1, 1)
	if err != nil {
		b.Fatal(err)
	}
	m.Prepare()
	const rows = 64
	r := rand.New(rand.NewPCG(1, 1))
	x := randSlice(r, rows*m.In(), 0.5)
	y := make([]uint8, rows)
	for i := range y {
		y[i] = uint8(i % 10)
	}
	var l lr.Learner
	switch method {
	case "bp":
		l, _ = NewBP(m)
	case "layerwise32":
		l, err = lr.NewEstimator(m.Stages(), mlp.CrossEntropy, lr.Config{Copies: 32, Seed: 1, VR: lr.VR{LayerWise: true}})
	case "positionwise160":
		l, err = NewPosLR(m, mlp.CrossEntropy, lr.Config{Copies: 160, Seed: 1, VR: lr.VR{PositionWise: true}})
	default:
		l, err = lr.NewEstimator(m.Stages(), mlp.CrossEntropy, lr.Config{Copies: 8, Seed: 1, VR: lr.VR{Antithetic: true}})
	}
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := l.Grad(x, y, rows, uint64(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "samples/s")
}

const (
	mnistSpec = "c16k5,mp2,c32k5,mp2,d128"
	cifarSpec = "c32k3,mp2,c32k3,mp2,c64k3,mp2,d128"
)

func BenchmarkBPMNIST(b *testing.B) { benchNet(b, mnistSpec, Shape{1, 28, 28}, "bp") }
func BenchmarkLRMNIST(b *testing.B) { benchNet(b, mnistSpec, Shape{1, 28, 28}, "lr") }
func BenchmarkBPCIFAR(b *testing.B) { benchNet(b, cifarSpec, Shape{3, 32, 32}, "bp") }
func BenchmarkLRCIFAR(b *testing.B) { benchNet(b, cifarSpec, Shape{3, 32, 32}, "lr") }

// The stride-2 CIFAR-10 net of the LR runs, trained layer-wise (32 copies, 6–7 per layer)
// and position-wise (160 copies, 32 per layer): position-wise copies cost a fifth.
const cifarStride2 = "c32k3s2p1,c64k3s2p1,c64k3s2p1,d128"

func BenchmarkLayerWiseCIFARStride2(b *testing.B) {
	benchNet(b, cifarStride2, Shape{3, 32, 32}, "layerwise32")
}
func BenchmarkPosLRCIFARStride2(b *testing.B) {
	benchNet(b, cifarStride2, Shape{3, 32, 32}, "positionwise160")
}
