package lr_test

import (
	"fmt"

	"github.com/snnsim/snnsim/lr"
)

func ExampleParseVR() {
	vr, err := lr.ParseVR("antithetic,layerwise")
	fmt.Println(vr, err)
	_, err = lr.ParseVR("control")
	fmt.Println(err)
	// Output:
	// antithetic,layerwise <nil>
	// lr: unknown variance reduction "control" (want antithetic, layerwise, positionwise, qmc)
}

// Scores of the noise laws: the LR gradient of a unit is c·Score(ε)/s ⊗ ∂z/∂θ.
func ExampleLaw() {
	for _, l := range lr.Laws() {
		fmt.Printf("%-8s Score(0.5) = %.4f\n", l.Name(), l.Score(0.5))
	}
	// Output:
	// gaussian Score(0.5) = 0.5000
	// logistic Score(0.5) = 0.2449
	// laplace  Score(0.5) = 1.0000
}
