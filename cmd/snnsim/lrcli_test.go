package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnsim/snnsim/dataset"
)

// runCLI runs snnsim with args and returns its exit code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	dir := t.TempDir()
	out, err := os.Create(filepath.Join(dir, "out"))
	require.NoError(t, err)
	errf, err := os.Create(filepath.Join(dir, "err"))
	require.NoError(t, err)
	code := run(context.Background(), args, nil, out, errf)
	require.NoError(t, out.Close())
	require.NoError(t, errf.Close())
	o, _ := os.ReadFile(out.Name())
	e, _ := os.ReadFile(errf.Name())
	return code, string(o), string(e)
}

// TestTrainEvalAttack runs train → eval → attack end to end on a few hundred MNIST
// samples (skipped when MNIST is not installed).
func TestTrainEvalAttack(t *testing.T) {
	if _, _, err := dataset.Load("mnist", ""); err != nil {
		t.Skipf("MNIST not available: %v", err)
	}
	dir := t.TempDir()
	lrModel, bpModel := filepath.Join(dir, "lr.snnm"), filepath.Join(dir, "bp.snnm")
	code, out, errs := runCLI(t, "train", "--method", "lr", "--hidden", "64", "--max-train", "600", "--max-test", "200",
		"--epochs", "2", "--copies", "4", "--vr", "antithetic,layerwise", "--out", lrModel, "--checkpoint-every", "3")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "# snnsim train seed=1 data=mnist method=lr")
	assert.Contains(t, out, "samples/s")
	code, _, errs = runCLI(t, "train", "--method", "bp", "--hidden", "64", "--max-train", "600", "--max-test", "200",
		"--epochs", "1", "--out", bpModel, "--seed", "2", "--format", "json")
	require.Equal(t, 0, code, errs)
	// Resume the LR run for one more epoch.
	code, out, errs = runCLI(t, "train", "--method", "lr", "--hidden", "64", "--max-train", "600", "--max-test", "200",
		"--epochs", "3", "--copies", "4", "--vr", "antithetic,layerwise", "--out", lrModel, "--resume", lrModel)
	require.Equal(t, 0, code, errs)
	assert.Equal(t, 1, strings.Count(out, "\n    3 "), out)
	code, out, errs = runCLI(t, "eval", lrModel, "--max-test", "200")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "accuracy (noise off)")
	code, out, errs = runCLI(t, "attack", lrModel, "--max-test", "40", "--attack", "fgsm,pgd3,noise", "--eps", "0.1",
		"--setting", "whitebox,eot,transfer", "--surrogate", bpModel, "--eot-samples", "2")
	require.Equal(t, 0, code, errs)
	for _, s := range []string{"setting=whitebox", "setting=eot", "setting=transfer", "pgd3", "noise"} {
		assert.Contains(t, out, s)
	}
	// Bad input: exit code 2 with a clear message.
	bad := filepath.Join(dir, "bad.snnm")
	b, _ := os.ReadFile(lrModel)
	b[len(b)/2] ^= 1
	require.NoError(t, os.WriteFile(bad, b, 0o644))
	code, _, errs = runCLI(t, "eval", bad)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "checksum")
	code, _, _ = runCLI(t, "train", "--method", "sgd")
	assert.Equal(t, 2, code)
	code, _, errs = runCLI(t, "train", "--method", "bp", "--act", "step", "--max-train", "10")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "LR method")
}
