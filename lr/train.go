package lr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/snnsim/snnsim/optim"
)

// Learner computes a gradient estimate for a mini-batch into its parameters' gradient
// buffers: an [Estimator] (LR), or a model's backpropagation.
type Learner interface {
	Params() []Param
	Grad(x []float32, y []uint8, rows int, step uint64) (Stats, error)
}

// Data is a labelled training set held in memory: sample i is X[i*Dim:(i+1)*Dim].
type Data struct {
	X   []float32
	Y   []uint8
	N   int
	Dim int
}

// TrainConfig sets up [Train].
type TrainConfig struct {
	Epochs int    // epochs to reach (counting those already done when resuming)
	Batch  int    // samples per mini-batch
	Seed   uint64 // seeds the shuffle of every epoch
	// Progress, when set, is called after every batch with the samples it held.
	Progress func(samples int)
	// Eval, when set, is called after every epoch; it returns the test accuracy.
	Eval func() (float64, error)
	// Checkpoint, when set, is called after every epoch and every CheckpointEvery steps
	// with the state to save beside the model (see [WriteFileAtomic]).
	Checkpoint      func(st TrainState) error
	CheckpointEvery int
	// BeforeEpoch, when set, is called before each epoch (0-based), also when resuming
	// in the middle of one: learning-rate schedules go here.
	BeforeEpoch func(epoch int)
	// Prepare, when set, is called after every optimizer step (models that cache
	// derived weights refresh them here).
	Prepare func()
	// Log receives one record per epoch (nil: no log).
	Log *slog.Logger
}

// TrainState is where a training run stands: enough, with the parameters and optimizer
// state, to resume it exactly.
type TrainState struct {
	Epoch   int           `json:"epoch"` // completed epochs
	Batch   int           `json:"batch"` // completed batches of the current epoch
	Step    uint64        `json:"step"`  // optimizer steps taken
	History []EpochResult `json:"history,omitempty"`
}

// EpochResult summarises one epoch.
type EpochResult struct {
	Epoch    int     `json:"epoch"`
	Loss     float64 `json:"loss"`               // mean training loss (noisy copies under LR)
	TestAcc  float64 `json:"test_acc,omitempty"` // from Eval
	Seconds  float64 `json:"seconds"`            // training wall time (evaluation excluded)
	Samples  int     `json:"samples"`
	Forwards int     `json:"forwards"` // forward passes (samples × copies under LR)
}

// Train runs mini-batch training from state st (zero for a fresh run) until cfg.Epochs
// epochs are done: shuffle (seeded by cfg.Seed and the epoch), estimate, step, and at the
// end of each epoch evaluate and checkpoint. It returns the final state; on a context
// cancellation it returns the state reached and ctx.Err().
func Train(ctx context.Context, l Learner, opt optim.Optimizer, data Data, cfg TrainConfig, st TrainState) (TrainState, error) {
	if cfg.Batch < 1 || cfg.Epochs < 0 {
		return st, fmt.Errorf("lr: batch %d and epochs %d", cfg.Batch, cfg.Epochs)
	}
	if data.N == 0 || len(data.X) < data.N*data.Dim || len(data.Y) < data.N {
		return st, errors.New("lr: empty or inconsistent training data")
	}
	params := l.Params()
	xb := make([]float32, cfg.Batch*data.Dim)
	yb := make([]uint8, cfg.Batch)
	batches := (data.N + cfg.Batch - 1) / cfg.Batch
	for ; st.Epoch < cfg.Epochs; st.Epoch++ {
		if cfg.BeforeEpoch != nil {
			cfg.BeforeEpoch(st.Epoch)
		}
		perm := rand.New(rand.NewPCG(cfg.Seed, uint64(st.Epoch))).Perm(data.N)
		var res EpochResult
		if st.Batch > 0 && len(st.History) > 0 && st.History[len(st.History)-1].Epoch == st.Epoch+1 {
			res = st.History[len(st.History)-1] // resuming mid-epoch: continue its sums
			st.History = st.History[:len(st.History)-1]
		}
		res.Epoch = st.Epoch + 1
		var lossSum float64
		lossSum = res.Loss * float64(res.Samples)
		for ; st.Batch < batches; st.Batch++ {
			if err := ctx.Err(); err != nil {
				return st, err
			}
			t0 := time.Now()
			i0, i1 := st.Batch*cfg.Batch, min(data.N, (st.Batch+1)*cfg.Batch)
			rows := i1 - i0
			for r, i := range perm[i0:i1] {
				copy(xb[r*data.Dim:(r+1)*data.Dim], data.X[i*data.Dim:(i+1)*data.Dim])
				yb[r] = data.Y[i]
			}
			s, err := l.Grad(xb, yb, rows, st.Step)
			if err != nil {
				return st, fmt.Errorf("lr: epoch %d batch %d: %w", st.Epoch+1, st.Batch, err)
			}
			opt.Step(params)
			if cfg.Prepare != nil {
				cfg.Prepare()
			}
			st.Step++
			lossSum += s.Loss * float64(rows)
			res.Samples += rows
			res.Forwards += s.Forwards
			res.Seconds += time.Since(t0).Seconds()
			res.Loss = lossSum / float64(res.Samples)
			if cfg.Progress != nil {
				cfg.Progress(rows)
			}
			if cfg.Checkpoint != nil && cfg.CheckpointEvery > 0 && st.Step%uint64(cfg.CheckpointEvery) == 0 && st.Batch+1 < batches {
				mid := st
				mid.Batch++
				mid.History = append(append([]EpochResult(nil), st.History...), res)
				if err := cfg.Checkpoint(mid); err != nil {
					return st, err
				}
			}
		}
		if cfg.Eval != nil {
			acc, err := cfg.Eval()
			if err != nil {
				return st, err
			}
			res.TestAcc = acc
		}
		st.History = append(st.History, res)
		st.Batch = 0
		if cfg.Log != nil {
			cfg.Log.Info("epoch", "epoch", res.Epoch, "loss", res.Loss, "test_acc", res.TestAcc,
				"seconds", res.Seconds, "samples_per_s", float64(res.Samples)/res.Seconds)
		}
		if cfg.Checkpoint != nil {
			next := st
			next.Epoch++
			if err := cfg.Checkpoint(next); err != nil {
				return st, err
			}
		}
	}
	return st, nil
}

// WriteFileAtomic writes a file through write into a temporary file in the same folder,
// syncs it and renames it over path: a crash leaves either the old file or the new one,
// never half of one.
func WriteFileAtomic(path string, write func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("lr: write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = write(f); err != nil {
		return fmt.Errorf("lr: write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("lr: write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("lr: write %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("lr: write %s: %w", path, err)
	}
	return nil
}
