package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnsim/snnsim/dataset"
	"github.com/snnsim/snnsim/hw/deploy"
	"github.com/snnsim/snnsim/snn/learn"
)

// saveSNN writes an untrained spiking model of cfg to dir/name.
func saveSNN(t *testing.T, dir, name, data string, cfg learn.Config) string {
	t.Helper()
	m, err := learn.New(cfg, 1)
	require.NoError(t, err)
	p := filepath.Join(dir, name)
	require.NoError(t, learn.Save(p, &learn.File{Model: m, Info: learn.Info{Method: "lr", Data: data}}))
	return p
}

// A model that does not fit the board is refused, with what to shrink, before any data
// is loaded.
func TestDeployRefusesTooBig(t *testing.T) {
	dir := t.TempDir()
	big := saveSNN(t, dir, "big.snnm", "mnist", learn.DefaultConfig([]int{784, 500, 10}, 5))
	code, _, errs := runCLI(t, "deploy", big, "--board", "emu")
	assert.Equal(t, 2, code, errs)
	for _, want := range []string{"does not fit the board", "784 inputs", "mnist@pool2", "510 neurons", "--hidden 246", "--readout count"} {
		assert.Contains(t, errs, want)
	}
	code, _, errs = runCLI(t, "eval", big, "--backend", "board")
	assert.Equal(t, 2, code, errs)
	assert.Contains(t, errs, "does not fit the board")
	code, _, errs = runCLI(t, "deploy", big, "--mismatch", "theta=x")
	assert.Equal(t, 2, code, errs)
}

// deploy → eval --backend board → train --backend board on MNIST pooled to 14×14
// (skipped when MNIST is not installed).
func TestDeployEvalTrainBoard(t *testing.T) {
	if _, _, err := dataset.Load("mnist", ""); err != nil {
		t.Skipf("MNIST not available: %v", err)
	}
	dir := t.TempDir()
	cfg := learn.DefaultConfig([]int{196, 24, 10}, 8)
	cfg.Readout, cfg.InitGain = learn.ReadoutCount, 3
	cfg = deploy.SnapConfig(cfg)
	p := saveSNN(t, dir, "small.snnm", "mnist@pool2", cfg)
	code, out, errs := runCLI(t, "deploy", p, "--board", "emu", "--max-test", "30", "--stochastic")
	require.Equal(t, 0, code, errs)
	for _, want := range []string{"# snnsim deploy", "data=mnist@pool2 n=30 sizes=[196 24 10]", "read back and verified",
		"threshold firing", "escape-noise firing", "fixed↔board: 0 of 240 sample-ticks differ, 100.0000%"} {
		assert.Contains(t, out, want)
	}
	code, out, errs = runCLI(t, "eval", p, "--backend", "board", "--max-test", "20", "--noise-draws", "1")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "accuracy (board, noise off)")
	assert.Contains(t, out, "accuracy (board, noise on)")
	code, out, errs = runCLI(t, "eval", p, "--backend", "board", "--max-test", "20", "--mismatch", "theta=0.2,gain=0.2,noise=1,seed=3", "--format", "json")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, `"mismatch": "theta=0.2,gain=0.2,noise=1,seed=3"`)
	trained := filepath.Join(dir, "loop.snnm")
	code, out, errs = runCLI(t, "train", "--model", "snn", "--method", "lr", "--backend", "board", "--board", "emu",
		"--data", "mnist@pool2", "--hidden", "16", "--steps", "6", "--copies", "2", "--epochs", "1", "--batch", "10",
		"--max-train", "30", "--max-test", "10", "--vr", "none", "--out", trained)
	require.Equal(t, 0, code, errs)
	for _, want := range []string{"backend=board", "sizes=[196 16 10]", "tau_m=7.489", "readout=count", "chip in the loop: 30 samples, 60 board runs",
		"0 impossible decisions", "an SPI link at 10MHz would allow"} {
		assert.Contains(t, out, want)
	}
	code, out, errs = runCLI(t, "train", "--model", "snn", "--method", "lr", "--backend", "board", "--data", "mnist@pool2",
		"--hidden", "16", "--steps", "6", "--copies", "2", "--epochs", "1", "--max-train", "10", "--max-test", "10",
		"--init", trained, "--mismatch", "theta=0.1,seed=1", "--out", filepath.Join(dir, "ft.snnm"))
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "vr=layerwise")
	assert.Contains(t, out, "chip in the loop: 10 samples, 50 board runs") // 10 clean + 10 × 2 copies × 2 layers
	code, _, errs = runCLI(t, "train", "--model", "snn", "--backend", "board", "--data", "mnist@pool2", "--vr", "antithetic", "--max-train", "10")
	assert.Equal(t, 2, code, errs)
	// Chip-in-the-loop needs the LR method on a spiking model.
	code, _, errs = runCLI(t, "train", "--model", "snn", "--method", "bptt", "--backend", "board", "--data", "mnist@pool2", "--max-train", "10")
	assert.Equal(t, 2, code, errs)
	code, _, errs = runCLI(t, "train", "--model", "snn", "--backend", "board", "--data", "mnist", "--max-train", "10", "--max-test", "10")
	assert.Equal(t, 2, code, errs)
	assert.Contains(t, errs, "mnist@pool2")
}

func TestSplitPool(t *testing.T) {
	for _, c := range []struct {
		in   string
		base string
		f    int
		ok   bool
	}{{"mnist", "mnist", 1, true}, {"mnist@pool2", "mnist", 2, true}, {"fashion@pool4", "fashion", 4, true},
		{"mnist@2", "", 0, false}, {"mnist@pool0", "", 0, false}, {"mnist@poolx", "", 0, false}} {
		b, f, err := splitPool(c.in)
		if !c.ok {
			assert.Error(t, err, c.in)
			continue
		}
		require.NoError(t, err, c.in)
		assert.Equal(t, c.base, b)
		assert.Equal(t, c.f, f)
	}
	s := &dataset.Set{Name: "t", N: 1, Dim: 16, Shape: []int{1, 4, 4}, X: []float32{
		1, 1, 0, 0,
		1, 1, 0, 0,
		0, 0, 1, 0,
		0, 0, 0, 1}}
	p, err := poolSet(s, 2)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2, 2}, p.Shape)
	assert.Equal(t, []float32{1, 0, 0, 0.5}, p.X)
}
