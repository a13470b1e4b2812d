package attack

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// linModel is a 2-class linear model z = (w·x, −w·x), optionally with additive noise of
// scale sigma on both logits, to test the attacks in closed form.
type linModel struct {
	w     []float32
	sigma float32
}

func (m *linModel) In() int      { return len(m.w) }
func (m *linModel) Classes() int { return 2 }
func (m *linModel) Logits(dst, x []float32, rows int, noise bool, seed uint64) {
	n := len(m.w)
	for r := range rows {
		var s float32
		for j, w := range m.w {
			s += w * x[r*n+j]
		}
		if noise {
			s += m.sigma * float32(math.Sin(float64(seed)+float64(r))) // deterministic "noise"
		}
		dst[2*r], dst[2*r+1] = s, -s
	}
}

// InputGrad: the loss gradient of softmax cross-entropy is (p − onehot)·∂z/∂x; its sign
// is −w for class 0 and +w for class 1 whatever p.
func (m *linModel) InputGrad(dx, x []float32, y []uint8, rows int, noise bool, seed uint64) error {
	n := len(m.w)
	for r := range rows {
		s := float32(1)
		if y[r] == 0 {
			s = -1
		}
		for j, w := range m.w {
			dx[r*n+j] = s * w
		}
	}
	return nil
}

func TestFGSMAndPGD(t *testing.T) {
	m := &linModel{w: []float32{1, -2, 0.5, 0}}
	x := []float32{0.5, 0.5, 0.98, 0.3, 0.1, 0.9, 0.95, 0.5}
	y := []uint8{0, 1}
	g := NewGradder(m, 0)
	adv := make([]float32, len(x))
	require.NoError(t, FGSM(adv, x, y, 2, 0.1, g, 1))
	// Class 0 moves against w, class 1 along it; clipped to [0,1]; zero weight: no move.
	assert.InDeltaSlice(t, []float32{0.4, 0.6, 0.88, 0.3, 0.2, 0.8, 1, 0.5}, adv, 1e-6)
	require.NoError(t, PGD(adv, x, y, 2, 0.1, 0.025, 10, g, 1))
	for i := range x {
		assert.LessOrEqual(t, math.Abs(float64(adv[i]-x[i])), 0.1+1e-6, "stays in the ε-ball")
		assert.True(t, adv[i] >= 0 && adv[i] <= 1)
	}
	// With enough steps PGD reaches the same corner as FGSM on a linear model.
	assert.InDelta(t, 0.4, adv[0], 1e-6)
	assert.InDelta(t, 0.8, adv[5], 1e-6)
}

func TestRunTable(t *testing.T) {
	m := &linModel{w: []float32{1, -1}, sigma: 0.01}
	// Samples at margin 0.1·k from the boundary, class by sign.
	var x []float32
	var y []uint8
	for k := 1; k <= 10; k++ {
		d := 0.05 * float32(k)
		x = append(x, 0.5+d/2, 0.5-d/2, 0.5-d/2, 0.5+d/2)
		y = append(y, 0, 1)
	}
	kinds, err := ParseKinds("fgsm,pgd10,noise")
	require.NoError(t, err)
	for _, st := range []Setting{WhiteBox, EOT, Transfer} {
		t.Run(string(st), func(t *testing.T) {
			cfg := Config{Kinds: kinds, Eps: []float64{0.05, 0.3}, Setting: st, Seed: 1, EOTSamples: 3, Batch: 7}
			if st == Transfer {
				cfg.Surrogate = &linModel{w: []float32{1, -1}}
			}
			tab, err := Run(m, x, y, 20, cfg)
			require.NoError(t, err)
			assert.Equal(t, 1.0, tab.Clean)
			require.Len(t, tab.Rows, 3)
			// w·x margin is d; an L∞ step ε changes it by 2ε: ε = 0.05 flips the samples
			// with d ≤ 0.1 (2 of 10 per class), ε = 0.3 flips all.
			assert.InDelta(t, 0.8, tab.Rows[0].Acc[0], 0.11, "fgsm ε=0.05")
			assert.Equal(t, 0.0, tab.Rows[0].Acc[1], "fgsm ε=0.3")
			assert.Equal(t, 0.0, tab.Rows[1].Acc[1], "pgd ε=0.3")
		})
	}
	_, err = Run(m, x, y, 20, Config{Kinds: kinds, Eps: []float64{0.1}, Setting: Transfer})
	require.ErrorContains(t, err, "surrogate")
}

func TestParse(t *testing.T) {
	k, err := ParseKinds("fgsm, pgd")
	require.NoError(t, err)
	assert.Equal(t, "[fgsm pgd10 pgd40]", fmt.Sprint(k))
	_, err = ParseKinds("cw")
	require.ErrorContains(t, err, "unknown attack")
	_, err = ParseKinds("pgd0")
	require.Error(t, err)
	_, err = ParseSetting("greybox")
	require.Error(t, err)
}

func ExampleFGSM() {
	m := &linModel{w: []float32{1, -1}}
	x := []float32{0.6, 0.4} // w·x = 0.2 > 0: class 0
	adv := make([]float32, 2)
	_ = FGSM(adv, x, []uint8{0}, 1, 0.15, NewGradder(m, 0), 1)
	z := make([]float32, 2)
	m.Logits(z, adv, 1, false, 0)
	fmt.Printf("adversarial %.2f, logit margin %.2f\n", adv, z[0]-z[1])
	// Output: adversarial [0.45 0.55], logit margin -0.20
}
