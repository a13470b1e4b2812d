package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnsim/snnsim/dataset"
)

// TestSNNTrainEvalAttack runs train --model snn (lr and bptt) → eval --plot → attack end
// to end on a few hundred MNIST samples with a small network (skipped when MNIST is not
// installed).
func TestSNNTrainEvalAttack(t *testing.T) {
	if _, _, err := dataset.Load("mnist", ""); err != nil {
		t.Skipf("MNIST not available: %v", err)
	}
	dir := t.TempDir()
	lrModel, bpModel := filepath.Join(dir, "lr.snnm"), filepath.Join(dir, "bptt.snnm")
	small := []string{"--model", "snn", "--hidden", "24", "--steps", "6", "--max-train", "300", "--max-test", "100"}
	code, out, errs := runCLI(t, append([]string{"train", "--method", "lr", "--epochs", "1", "--copies", "4",
		"--vr", "antithetic,layerwise", "--out", lrModel, "--checkpoint-every", "2"}, small...)...)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "# snnsim train seed=1 data=mnist model=snn method=lr sizes=[784 24 10] steps=6")
	assert.Contains(t, out, "samples/s")
	// Resume for one more epoch.
	code, out, errs = runCLI(t, append([]string{"train", "--method", "lr", "--epochs", "2", "--copies", "4",
		"--vr", "antithetic,layerwise", "--out", lrModel, "--resume", lrModel}, small...)...)
	require.Equal(t, 0, code, errs)
	assert.Equal(t, 1, strings.Count(out, "\n    2 "), out)
	code, out, errs = runCLI(t, append([]string{"train", "--method", "bptt", "--epochs", "1", "--out", bpModel,
		"--seed", "2", "--format", "json"}, small...)...)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, `"method": "bptt"`)
	png := filepath.Join(dir, "raster.png")
	code, out, errs = runCLI(t, "eval", lrModel, "--max-test", "100", "--noise-draws", "1", "--plot", png, "--plot-index", "3")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "accuracy (noise off)")
	assert.Contains(t, out, "accuracy (noise on)")
	st, err := os.Stat(png)
	require.NoError(t, err)
	assert.Positive(t, st.Size())
	code, out, errs = runCLI(t, "attack", lrModel, "--max-test", "20", "--attack", "fgsm,pgd2", "--eps", "0.1",
		"--setting", "whitebox,eot,transfer", "--surrogate", bpModel, "--eot-samples", "2")
	require.Equal(t, 0, code, errs)
	for _, s := range []string{"setting=whitebox", "setting=eot", "setting=transfer", "model=snn", "pgd2"} {
		assert.Contains(t, out, s)
	}
	// Bad usage of the snn flags is exit code 2.
	code, _, errs = runCLI(t, append([]string{"train", "--method", "bp3"}, small...)...)
	assert.Equal(t, 2, code, errs)
	code, _, errs = runCLI(t, append([]string{"train", "--readout", "max"}, small...)...)
	assert.Equal(t, 2, code, errs)
}
