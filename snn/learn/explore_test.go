package learn

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/snnsim/snnsim/dataset"
	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/optim"
)

func envf(name string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil {
		return v
	}
	return def
}

// TestExplore is a manual experiment (SNNLR_EXPLORE=1).
func TestExplore(t *testing.T) {
	if os.Getenv("SNNLR_EXPLORE") == "" {
		t.Skip("manual")
	}
	train, test, err := dataset.Load(os.Getenv("SNNLR_DATA"), "")
	if err != nil {
		t.Fatal(err)
	}
	train = train.Subset(int(envf("NTRAIN", 10000)))
	test = test.Subset(int(envf("NTEST", 2000)))
	cfg := DefaultConfig([]int{784, int(envf("HID", 500)), 10}, int(envf("T", 25)))
	cfg.Beta = envf("BETA", 0.2)
	cfg.Sigma = envf("SIGMA", 0.5)
	cfg.InitGain = envf("GAIN", 1)
	cfg.Scale = envf("SCALE", 1)
	if os.Getenv("READOUT") != "" {
		cfg.Readout = os.Getenv("READOUT")
		cfg.BetaOut = envf("BETAOUT", 0.2)
	}
	m, err := New(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	var learner lr.Learner
	if os.Getenv("METHOD") == "bptt" {
		learner = NewBPTT(m, BPTTConfig{Seed: 3})
	} else {
		vr, _ := lr.ParseVR(os.Getenv("VR"))
		base, _ := lr.ParseBaseline(os.Getenv("BASELINE"))
		e, err := NewLR(m, LRConfig{Copies: int(envf("K", 8)), VR: vr, Seed: 3, Baseline: base})
		if err != nil {
			t.Fatal(err)
		}
		learner = e
	}
	opt := optim.NewAdam(float32(envf("LR", 1e-3)))
	t0 := time.Now()
	_, err = lr.Train(context.Background(), learner, opt, lr.Data{X: train.X, Y: train.Y, N: train.N, Dim: train.Dim},
		lr.TrainConfig{Epochs: int(envf("EPOCHS", 1)), Batch: int(envf("BATCH", 100)), Seed: 1,
			Progress: func(n int) {},
			Eval: func() (float64, error) {
				a := m.Accuracy(test.X, test.Y, test.N, false, 0)
				an := m.Accuracy(test.X[:500*784], test.Y[:500], 500, true, 9)
				var hs, hn float64
				for k := range 20 {
					r, rec, _, _ := m.Response(test.X[k*784:(k+1)*784], true, uint64(k))
					hs += float64(r.PopSpikes(1))
					hn += float64(rec.Len() - int(r.PopSpikes(1)))
				}
				fmt.Printf("epoch done %.1fs test acc %.4f (noisy %.4f) hidden rate %.4f/step\n", time.Since(t0).Seconds(), a, an, hs/20/float64(cfg.Sizes[1]*cfg.Steps))
				return a, nil
			}}, lr.TrainState{})
	if err != nil {
		t.Fatal(err)
	}
}
