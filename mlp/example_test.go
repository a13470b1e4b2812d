package mlp_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/mlp"
	"github.com/snnsim/snnsim/optim"
)

// blobs returns n points of three well-separated Gaussian clusters in 8 dimensions.
func blobs(n int) ([]float32, []uint8) {
	r := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, n*8)
	y := make([]uint8, n)
	for i := range n {
		c := i % 3
		y[i] = uint8(c)
		for j := range 8 {
			x[i*8+j] = float32(0.3*r.NormFloat64() + float64((j+c)%3))
		}
	}
	return x, y
}

// An MLP with sign units (no derivative) trained by the likelihood-ratio method.
func Example_likelihoodRatio() {
	x, y := blobs(300)
	m, _ := mlp.New([]int{8, 32, 3}, mlp.Sign, 0.3, 1)
	m.Prepare()
	est, err := lr.NewEstimator(m.Stages(), mlp.CrossEntropy, lr.Config{
		Copies: 8, VR: lr.VR{LayerWise: true}, Seed: 1,
	})
	if err != nil {
		panic(err)
	}
	_, err = lr.Train(context.Background(), est, optim.NewAdam(0.01),
		lr.Data{X: x, Y: y, N: 300, Dim: 8},
		lr.TrainConfig{Epochs: 20, Batch: 30, Seed: 1, Prepare: m.Prepare}, lr.TrainState{})
	if err != nil {
		panic(err)
	}
	fmt.Println("accuracy above 90%:", m.Accuracy(x, y, 300, false, 0) > 0.9)
	// Output: accuracy above 90%: true
}

// The same network trained by backpropagation (which refuses sign units).
func ExampleNewBP() {
	m, _ := mlp.New([]int{8, 32, 3}, mlp.Sign, 0.3, 1)
	_, err := mlp.NewBP(m, mlp.CrossEntropy)
	fmt.Println(err)
	// Output: mlp: layer 0 uses sign, which has no derivative: train it with the LR method
}
