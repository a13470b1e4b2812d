package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnsim/snnsim/dataset"
)

// TestGNNCommands trains, evaluates and attacks a GCN on Cora for a few steps (skipped
// when ../shared/datasets/cora.npz is absent).
func TestGNNCommands(t *testing.T) {
	dir := sharedDatasetsDir(t, "cora.npz")
	out := filepath.Join(t.TempDir(), "g.snnm")
	for _, method := range []string{"bp", "lr"} {
		code, stdout, stderr := dataRunCLI(t, "train", "--model", "gnn", "--method", method, "--data", "cora",
			"--data-dir", dir, "--epochs", "3", "--copies", "4", "--out", out)
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, stdout, "layers=gcn,gcn widths=[1433 16 7]")
		assert.Contains(t, stdout, "after 3 steps")
	}
	code, stdout, stderr := dataRunCLI(t, "eval", out, "--data-dir", dir)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "validation accuracy")
	code, stdout, stderr = dataRunCLI(t, "attack", out, "--data-dir", dir, "--attack", "fgsm,pgd2", "--eps", "0.1", "--max-test", "100")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "feature-space attack")
	assert.Contains(t, stdout, "pgd2")
	code, _, stderr = dataRunCLI(t, "train", "--model", "gnn", "--data", "cora", "--data-dir", dir, "--arch", "gat")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "unknown layer kind")
}

// TestNetSpreadSubset checks that attack's test subset takes samples from the whole set
// (a class-sorted set keeps every class) and leaves the set alone when n does not cut it.
func TestNetSpreadSubset(t *testing.T) {
	s := &dataset.Set{N: 10, Dim: 2, Classes: 5, Y: []uint8{0, 0, 1, 1, 2, 2, 3, 3, 4, 4}}
	for i := range 20 {
		s.X = append(s.X, float32(i))
	}
	for _, tc := range []struct {
		n     int
		wantY []uint8
	}{
		{n: 0, wantY: s.Y},
		{n: 10, wantY: s.Y},
		{n: 12, wantY: s.Y},
		{n: 5, wantY: []uint8{0, 1, 2, 3, 4}},
		{n: 3, wantY: []uint8{0, 1, 3}},
	} {
		got := netSpreadSubset(s, tc.n)
		require.Equal(t, len(tc.wantY), got.N, "n=%d", tc.n)
		assert.Equal(t, tc.wantY, got.Y, "n=%d", tc.n)
		for i := range got.N {
			j := int(got.X[2*i]) / 2 // sample j holds 2j, 2j+1
			assert.Equal(t, s.Y[j], got.Y[i], "n=%d: sample %d", tc.n, i)
			assert.Equal(t, float32(2*j+1), got.X[2*i+1], "n=%d: sample %d", tc.n, i)
		}
	}
}
