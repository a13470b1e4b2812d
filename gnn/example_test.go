package gnn_test

import (
	"fmt"

	"github.com/snnsim/snnsim/dataset"
	"github.com/snnsim/snnsim/gnn"
	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/mlp"
)

// A two-layer GCN trained by LR on a four-node path graph.
func Example() {
	adj := &dataset.CSR{Rows: 4, Cols: 4, Indptr: []int32{0, 1, 3, 5, 6},
		Indices: []int32{1, 0, 2, 1, 3, 2}, Data: []float32{1, 1, 1, 1, 1, 1}}
	feat := &dataset.CSR{Rows: 4, Cols: 2, Indptr: []int32{0, 1, 2, 3, 4},
		Indices: []int32{0, 0, 1, 1}, Data: []float32{1, 1, 1, 1}}
	g := gnn.NewGraph(&dataset.Graph{N: 4, F: 2, Classes: 2, Features: feat, Adj: adj,
		Labels: []uint8{0, 0, 1, 1}, Train: []int32{0, 3}, Test: []int32{1, 2}})
	m, err := gnn.New([]gnn.Kind{gnn.GCN, gnn.GCN}, 2, []int{4}, 2, mlp.ReLU, 0.2, 1)
	if err != nil {
		panic(err)
	}
	est, err := gnn.NewLR(m, g, mlp.CrossEntropy, lr.Config{Copies: 16, Seed: 1})
	if err != nil {
		panic(err)
	}
	st, err := est.Grad(nil, nil, 0, 0)
	if err != nil {
		panic(err)
	}
	fmt.Println("widths:", m.Widths(), "copies:", st.Forwards, "baseline:", est.Baseline())
	// Output:
	// widths: [2 4 2] copies: 16 baseline: loo
}
