package mlp

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnsim/snnsim/lr"
)

// gradVariance returns the total variance (summed over coordinates) of R LR estimates on a
// fixed network and batch.
func gradVariance(t *testing.T, m *MLP, x []float32, y []uint8, B int, cfg lr.Config, R int) float64 {
	t.Helper()
	est, err := lr.NewEstimator(m.Stages(), CrossEntropy, cfg)
	require.NoError(t, err)
	P := len(flatGrad(m.Params()))
	sum, sum2 := make([]float64, P), make([]float64, P)
	for s := range R {
		_, err := est.Grad(x, y, B, uint64(s))
		require.NoError(t, err)
		for i, g := range flatGrad(m.Params()) {
			sum[i] += g
			sum2[i] += g * g
		}
	}
	var v float64
	for i := range P {
		mu := sum[i] / float64(R)
		v += sum2[i]/float64(R) - mu*mu
	}
	return v
}

// TestVarianceReductions measures the total variance of the gradient estimate on a fixed
// MNIST-shaped network (100-64-10, ReLU, σ = 0.1) and batch, at an equal budget of K = 10
// noisy forward passes per sample, and asserts that
//
//   - layer-wise injection and QMC noise lower it against plain Monte Carlo with its
//     leave-one-out baseline;
//   - antithetic pairs lower it against plain Monte Carlo without a baseline (the pairs
//     centre the loss by themselves).
//
// Antithetic pairs do not beat a leave-one-out baseline at equal budget when σ is small:
// the loss is then nearly linear in the noise, the two members of a pair carry the same
// linear term, and only the even part of the loss cancels — so the estimate has the
// variance of K/2 independent copies. The ratio is logged, not asserted; all ratios are
// printed by go test -v -run VarianceReductions ./mlp/.
func TestVarianceReductions(t *testing.T) {
	const B, K, R = 8, 10, 100
	m, err := New([]int{100, 64, 10}, ReLU, 0.1, 5)
	require.NoError(t, err)
	x, y := synth(B, 100, 10, 6)
	base := lr.Config{Copies: K, Seed: 21, Workers: 1}
	variance := func(vr lr.VR, b lr.Baseline) float64 {
		cfg := base
		cfg.VR, cfg.Baseline = vr, b
		return gradVariance(t, m, x, y, B, cfg, R)
	}
	loo := variance(lr.VR{}, lr.BaselineLOO)
	none := variance(lr.VR{}, lr.BaselineNone)
	clean := variance(lr.VR{}, lr.BaselineClean)
	t.Logf("plain MC total variance: leave-one-out baseline %.4g, no baseline %.4g (×%.1f), clean baseline ×%.3f",
		loo, none, none/loo, clean/loo)
	anti := variance(lr.VR{Antithetic: true}, lr.BaselineNone)
	t.Logf("antithetic (no baseline): ×%.4f of plain without baseline, ×%.3f of plain with leave-one-out", anti/none, anti/loo)
	assert.Less(t, anti, none, "antithetic vs plain without baseline")
	for _, tc := range []struct {
		name string
		vr   lr.VR
	}{
		{"layerwise", lr.VR{LayerWise: true}},
		{"qmc", lr.VR{QMC: true}},
	} {
		v := variance(tc.vr, lr.BaselineAuto)
		t.Logf("%-10s ×%.3f of plain with leave-one-out", tc.name, v/loo)
		assert.Less(t, v, loo, tc.name)
	}
	both := variance(lr.VR{Antithetic: true, LayerWise: true}, lr.BaselineAuto)
	t.Logf("antithetic+layerwise ×%.3f, antithetic+qmc ×%.3f of plain with leave-one-out",
		both/loo, variance(lr.VR{Antithetic: true, QMC: true}, lr.BaselineAuto)/loo)
}
