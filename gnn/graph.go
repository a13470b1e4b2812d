package gnn

import (
	"fmt"
	"slices"

	"github.com/snnsim/snnsim/dataset"
	"github.com/snnsim/snnsim/lr"
)

// Graph is a node-classification graph prepared for the layers: the GCN propagation
// matrix Â = D^−½(A+I)D^−½, the neighbour-mean matrix M (M_ij = 1/deg i for each
// neighbour j; isolated nodes average nothing) and its transpose, dense node features and
// the split.
type Graph struct {
	N, F, Classes    int
	Ahat             *dataset.CSR
	Mean, MeanT      *dataset.CSR
	X                []float32 // N×F features
	Labels           []uint8
	Train, Val, Test []int32
	// Adj is the adjacency without self loops (for receptive fields).
	Adj *dataset.CSR
}

// NewGraph prepares g; the features are used as stored (0/1 bag of words for Cora and
// CiteSeer), so that attacks work on the [0,1] scale.
func NewGraph(g *dataset.Graph) *Graph {
	mean := &dataset.CSR{Rows: g.N, Cols: g.N, Indptr: g.Adj.Indptr, Indices: g.Adj.Indices, Data: make([]float32, g.Adj.NNZ())}
	for i := range g.N {
		lo, hi := g.Adj.Indptr[i], g.Adj.Indptr[i+1]
		for k := lo; k < hi; k++ {
			mean.Data[k] = 1 / float32(hi-lo)
		}
	}
	return &Graph{N: g.N, F: g.F, Classes: g.Classes, Ahat: g.GCNAdjacency(), Mean: mean, MeanT: transposeCSR(mean),
		X: g.Features.Dense(), Labels: g.Labels, Train: g.Train, Val: g.Val, Test: g.Test, Adj: g.Adj}
}

// Validate checks the sizes and the node lists.
func (g *Graph) Validate() error {
	if g.N < 1 || g.F < 1 || g.Classes < 1 || len(g.X) != g.N*g.F || len(g.Labels) != g.N {
		return fmt.Errorf("gnn: graph of %d nodes, %d features, %d classes with %d values and %d labels", g.N, g.F, g.Classes, len(g.X), len(g.Labels))
	}
	for _, m := range []*dataset.CSR{g.Ahat, g.Mean, g.MeanT, g.Adj} {
		if m == nil || m.Rows != g.N || m.Cols != g.N {
			return fmt.Errorf("gnn: propagation matrix is not %d×%d", g.N, g.N)
		}
	}
	for _, s := range [][]int32{g.Train, g.Val, g.Test} {
		for _, i := range s {
			if i < 0 || int(i) >= g.N {
				return fmt.Errorf("gnn: node %d out of range", i)
			}
		}
	}
	for _, y := range g.Labels {
		if int(y) >= g.Classes {
			return fmt.Errorf("gnn: label %d of %d classes", y, g.Classes)
		}
	}
	return nil
}

func transposeCSR(m *dataset.CSR) *dataset.CSR {
	t := &dataset.CSR{Rows: m.Cols, Cols: m.Rows, Indptr: make([]int32, m.Cols+1),
		Indices: make([]int32, m.NNZ()), Data: make([]float32, m.NNZ())}
	for _, j := range m.Indices {
		t.Indptr[j+1]++
	}
	for i := range m.Cols {
		t.Indptr[i+1] += t.Indptr[i]
	}
	fill := append([]int32(nil), t.Indptr[:m.Cols]...)
	for i := range m.Rows {
		idx, val := m.Row(i)
		for k, j := range idx {
			t.Indices[fill[j]] = int32(i)
			t.Data[fill[j]] = val[k]
			fill[j]++
		}
	}
	return t
}

// spmm writes dst = A·B (or adds it when add), A sparse N×N, B and dst N×c, rows split
// over workers in fixed blocks.
func spmm(workers int, dst []float32, a *dataset.CSR, b []float32, c int, add bool) {
	const blk = 128
	blocks := (a.Rows + blk - 1) / blk
	lr.ParallelFor(workers, blocks, func(_, bi int) {
		for i := bi * blk; i < min(a.Rows, (bi+1)*blk); i++ {
			d := dst[i*c : (i+1)*c]
			if !add {
				clear(d)
			}
			idx, val := a.Row(i)
			for k, j := range idx {
				v := val[k]
				for q, x := range b[int(j)*c : int(j)*c+c] {
					d[q] += v * x
				}
			}
		}
	})
}

// reach returns, for each node of from, the nodes within r hops (itself included), in
// ascending order.
func reach(adj *dataset.CSR, from []int32, r int) [][]int32 {
	out := make([][]int32, len(from))
	seen := make([]int32, adj.Rows)
	for i := range seen {
		seen[i] = -1
	}
	for k, s := range from {
		front := []int32{s}
		seen[s] = int32(k)
		list := []int32{s}
		for range r {
			var next []int32
			for _, u := range front {
				idx, _ := adj.Row(int(u))
				for _, v := range idx {
					if seen[v] != int32(k) {
						seen[v] = int32(k)
						next = append(next, v)
						list = append(list, v)
					}
				}
			}
			front = next
		}
		slices.Sort(list)
		out[k] = list
	}
	return out
}
