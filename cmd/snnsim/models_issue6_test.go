package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
