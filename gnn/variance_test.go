package gnn

import (
	"flag"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/snnsim/snnsim/dataset"
	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/mlp"
)

var varianceGraph = flag.String("variance-graph", "", "measure LR gradient variance on this graph (cora, citeseer); empty: skip")

// TestVarianceTable measures the relative mean squared error E‖g − g_BP‖²/‖g_BP‖² of LR
// estimates against the BP gradient of the noise-free network (no dropout), for per-node
// and whole-graph credit, antithetic pairs, copies and noise scales. Run by hand:
//
//	go test ./gnn/ -run VarianceTable -v -variance-graph cora
func TestVarianceTable(t *testing.T) {
	if *varianceGraph == "" {
		t.Skip("set -variance-graph to measure")
	}
	dg, err := dataset.LoadGraph(*varianceGraph, "", 1)
	if err != nil {
		t.Skip(err)
	}
	g := NewGraph(dg)
	m, err := New([]Kind{GCN, GCN}, g.F, []int{16}, g.Classes, mlp.ReLU, 0.1, 1)
	require.NoError(t, err)
	bp, err := NewBP(m, g, 1)
	require.NoError(t, err)
	_, err = bp.Grad(nil, nil, 0, 0)
	require.NoError(t, err)
	params := m.Params()
	ref := make([][]float32, len(params))
	for i, p := range params {
		ref[i] = append([]float32(nil), p.Grad...)
	}
	const reps = 20
	t.Logf("%-6s %-5s %-10s %6s  relative MSE  cos", "credit", "K", "vr", "sigma")
	for _, sigma := range []float32{0.1, 0.3, 1} {
		for _, K := range []int{16, 64, 256} {
			for _, local := range []bool{true, false} {
				for _, anti := range []bool{false, true} {
					for l := range m.Sigma {
						m.Sigma[l] = sigma
					}
					e, err := NewLR(m, g, mlp.CrossEntropy, lr.Config{Copies: K, Seed: 3, VR: lr.VR{Antithetic: anti}})
					require.NoError(t, err)
					e.Local = local
					var mse, norm, cos float64
					for r := range reps {
						_, err := e.Grad(nil, nil, 0, uint64(r))
						require.NoError(t, err)
						var dot, n1, n2 float64
						for i, p := range params {
							for j, v := range p.Grad {
								d := float64(v - ref[i][j])
								mse += d * d
								dot += float64(v) * float64(ref[i][j])
								n1 += float64(v) * float64(v)
								n2 += float64(ref[i][j]) * float64(ref[i][j])
							}
						}
						norm = n2
						cos += dot / math.Sqrt(n1*n2) / reps
					}
					credit := "node"
					if !local {
						credit = "graph"
					}
					vr := "none"
					if anti {
						vr = "antithetic"
					}
					t.Logf("%-6s %-5d %-10s %6.2f  %10.4g  %.3f", credit, K, vr, sigma, mse/reps/norm, cos)
				}
			}
		}
	}
}
