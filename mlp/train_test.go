package mlp

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnsim/snnsim/dataset"
	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/optim"
)

var errStop = errors.New("stop")

// trainRun trains an LR MLP on synthetic data from file f (nil: fresh) until 3 epochs;
// stopAt > 0 stops the run right after the checkpoint of that step.
func trainRun(t *testing.T, path string, f *File, stopAt uint64) ([]float32, error) {
	x, y := synth(120, 30, 4, 8)
	var m *MLP
	opt := optim.NewAdam(0.01)
	var st lr.TrainState
	if f == nil {
		var err error
		m, err = New([]int{30, 40, 4}, ReLU, 0.1, 3)
		require.NoError(t, err)
	} else {
		m = f.Model
		st = *f.State
		require.NoError(t, opt.SetState(f.Optimizer.State))
	}
	m.Prepare()
	est, err := lr.NewEstimator(m.Stages(), CrossEntropy, lr.Config{Copies: 4, VR: lr.VR{Antithetic: true}, Seed: 9})
	require.NoError(t, err)
	cfg := lr.TrainConfig{Epochs: 3, Batch: 16, Seed: 4, CheckpointEvery: 5, Prepare: m.Prepare,
		Checkpoint: func(s lr.TrainState) error {
			if err := Save(path, &File{Model: m, State: &s, Optimizer: &OptimizerState{Name: "adam", LR: 0.01, State: opt.State()}}); err != nil {
				return err
			}
			if stopAt > 0 && s.Step == stopAt {
				return errStop
			}
			return nil
		}}
	_, err = lr.Train(context.Background(), est, opt, lr.Data{X: x, Y: y, N: 120, Dim: 30}, cfg, st)
	var w []float32
	for _, p := range m.Params() {
		w = append(w, p.Value...)
	}
	return w, err
}

// TestResumeExact: a run stopped after a mid-epoch checkpoint and resumed from the file
// ends with exactly the parameters of an uninterrupted run.
func TestResumeExact(t *testing.T) {
	dir := t.TempDir()
	want, err := trainRun(t, filepath.Join(dir, "a.snnm"), nil, 0)
	require.NoError(t, err)
	for _, stop := range []uint64{10, 16} { // mid-epoch 2, and the end of epoch 2 (8 batches/epoch)
		path := filepath.Join(dir, fmt.Sprintf("b%d.snnm", stop))
		_, err = trainRun(t, path, nil, stop)
		require.ErrorIs(t, err, errStop)
		f, err := Load(path)
		require.NoError(t, err)
		require.Equal(t, stop, f.State.Step)
		got, err := trainRun(t, path, f, 0)
		require.NoError(t, err)
		assert.Equal(t, want, got, "resumed at step %d", stop)
	}
}

// TestMNISTSmallBudget trains 784-500-10 on 3000 MNIST samples for two epochs by LR and by
// BP (a few seconds). It is skipped when the MNIST files are not installed.
func TestMNISTSmallBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	train, test, err := dataset.Load("mnist", "")
	if err != nil {
		t.Skipf("MNIST not available: %v", err)
	}
	train, test = train.Subset(3000), test.Subset(2000)
	for _, tc := range []struct {
		method string
		min    float64
	}{{"lr", 0.75}, {"bp", 0.85}} {
		t.Run(tc.method, func(t *testing.T) {
			m, err := New([]int{784, 500, 10}, ReLU, 0.1, 1)
			require.NoError(t, err)
			m.Prepare()
			var l lr.Learner
			if tc.method == "lr" {
				l, err = lr.NewEstimator(m.Stages(), CrossEntropy, lr.Config{Copies: 10, VR: lr.VR{LayerWise: true}, Seed: 2})
			} else {
				l, err = NewBP(m, CrossEntropy)
			}
			require.NoError(t, err)
			_, err = lr.Train(context.Background(), l, optim.NewAdam(1e-3),
				lr.Data{X: train.X, Y: train.Y, N: train.N, Dim: train.Dim},
				lr.TrainConfig{Epochs: 2, Batch: 100, Seed: 1, Prepare: m.Prepare}, lr.TrainState{})
			require.NoError(t, err)
			acc := m.Accuracy(test.X, test.Y, test.N, false, 0)
			t.Logf("%s: test accuracy %.2f%% after 2 epochs on 3000 samples", tc.method, 100*acc)
			assert.GreaterOrEqual(t, acc, tc.min)
		})
	}
}

// TestLRZeroOneStep: LR trains a network of step units on the 0-1 loss (neither has a
// derivative), from chance to well above it.
func TestLRZeroOneStep(t *testing.T) {
	x, y := synth(300, 20, 3, 12)
	m, err := New([]int{20, 32, 3}, Step, 0.5, 2)
	require.NoError(t, err)
	m.Prepare()
	before := m.Accuracy(x, y, 300, false, 0)
	// The outcome is bimodal over noise seeds: about half the seeds reach 1.00, the others
	// stay at 0.66 (two of the three classes), with either normal generator.
	est, err := lr.NewEstimator(m.Stages(), ZeroOne, lr.Config{Copies: 16, VR: lr.VR{LayerWise: true}, Seed: 4})
	require.NoError(t, err)
	_, err = lr.Train(context.Background(), est, optim.NewAdam(0.02), lr.Data{X: x, Y: y, N: 300, Dim: 20},
		lr.TrainConfig{Epochs: 30, Batch: 50, Seed: 1, Prepare: m.Prepare}, lr.TrainState{})
	require.NoError(t, err)
	after := m.Accuracy(x, y, 300, false, 0)
	t.Logf("0-1 loss, step units: accuracy %.2f → %.2f", before, after)
	assert.Greater(t, after, 0.8)
	assert.Greater(t, after, before+0.2)
}
