package cnn_test

import (
	"fmt"

	"github.com/snnsim/snnsim/cnn"
	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/mlp"
)

// A CNN for MNIST, trained by the likelihood-ratio estimator: its layers are the
// estimator's noisy stages (noise on every output map of the convolutions).
func Example() {
	m, err := cnn.New("c8k5,mp2,c16k5,mp2,d64", cnn.Shape{C: 1, H: 28, W: 28}, 10, mlp.ReLU, 0.1, 1)
	if err != nil {
		panic(err)
	}
	m.Prepare()
	est, err := lr.NewEstimator(m.Stages(), mlp.CrossEntropy, lr.Config{Copies: 8, VR: lr.VR{Antithetic: true}, Seed: 1})
	if err != nil {
		panic(err)
	}
	x := make([]float32, 2*m.In()) // two blank images
	st, err := est.Grad(x, []uint8{3, 7}, 2, 0)
	if err != nil {
		panic(err)
	}
	fmt.Println("architecture:", m.Spec())
	for _, layer := range m.Layers {
		in, out := layer.Dims()
		fmt.Printf("%-10s %5d -> %5d\n", layer.Spec(), in, out)
	}
	fmt.Println("noisy forward passes:", st.Forwards)
	// Output:
	// architecture: c8k5s1p2,mp2s2,c16k5s1p2,mp2s2,d64
	// c8k5s1p2     784 ->  6272
	// mp2s2       6272 ->  1568
	// c16k5s1p2   1568 ->  3136
	// mp2s2       3136 ->   784
	// d64          784 ->    64
	// d10           64 ->    10
	// noisy forward passes: 16
}

// Position-wise injection: each copy perturbs one output position of one layer, so that
// the convolutions can afford many copies. 40 copies per sample here, 10 per noisy layer.
func ExampleNewPosLR() {
	m, err := cnn.New("c8k5s2p2,c16k3s2p1,d64", cnn.Shape{C: 1, H: 28, W: 28}, 10, mlp.ReLU, 0.1, 1)
	if err != nil {
		panic(err)
	}
	est, err := cnn.NewPosLR(m, mlp.CrossEntropy, lr.Config{Copies: 40, VR: lr.VR{PositionWise: true}, Seed: 1})
	if err != nil {
		panic(err)
	}
	x := make([]float32, 2*m.In()) // two blank images
	st, err := est.Grad(x, []uint8{3, 7}, 2, 0)
	if err != nil {
		panic(err)
	}
	fmt.Println("copies per layer:", est.Copies(), "baseline:", est.Baseline())
	fmt.Println("noisy forward passes:", st.Forwards)
	// Output:
	// copies per layer: [10 10 10 10] baseline: clean
	// noisy forward passes: 80
}
