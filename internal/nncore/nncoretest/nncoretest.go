// Package nncoretest holds the checks that the model kinds built on nncore (cnn, rnn,
// gnn) share in their tests: the golden model file, and the statistics that compare two
// gradient estimators.
package nncoretest

import (
	"bytes"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnsim/snnsim/lr"
)

// Golden compares encoded (a model file's bytes) with the golden file at path, which is
// rewritten first when update is set (go test -update), and checks that decoding the
// golden bytes and encoding them again (reencode) reproduces them exactly.
func Golden(t *testing.T, path string, update bool, encoded []byte, reencode func([]byte) ([]byte, error)) {
	t.Helper()
	if update {
		require.NoError(t, os.WriteFile(path, encoded, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(want, encoded), "encoding changed; rerun with -update only with a format version bump")
	again, err := reencode(want)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(want, again), "decode then encode must be stable")
}

// Moments accumulates repeated draws of a gradient estimate, entry by entry: the checks
// of unbiasedness compare the mean of one estimator with another's.
type Moments struct {
	N       int
	Sum, Sq []float64
}

// AddGrads adds the current gradients of params as one draw.
func (m *Moments) AddGrads(params []lr.Param) {
	if m.Sum == nil {
		n := 0
		for _, p := range params {
			n += len(p.Grad)
		}
		m.Sum, m.Sq = make([]float64, n), make([]float64, n)
	}
	i := 0
	for _, p := range params {
		for _, g := range p.Grad {
			v := float64(g)
			m.Sum[i] += v
			m.Sq[i] += v * v
			i++
		}
	}
	m.N++
}

// Mean returns the mean of entry i.
func (m *Moments) Mean(i int) float64 { return m.Sum[i] / float64(m.N) }

// Var returns the variance of one draw of entry i.
func (m *Moments) Var(i int) float64 {
	mu := m.Mean(i)
	return m.Sq[i]/float64(m.N) - mu*mu
}

// Ref returns entry i's mean and the variance of that mean, the reference ZStat takes.
func (m *Moments) Ref(i int) (float64, float64) { return m.Mean(i), m.Var(i) / float64(m.N) }

// ZStat compares the mean of m with a reference, entry by entry: z = (mean − ref mean) /
// √(variance of m's mean + ref's variance of its mean). It returns the mean of z² and the
// largest |z| over the entries where the variances are not both zero; an unbiased
// estimator gives a mean z² near 1.
func ZStat(m *Moments, ref func(i int) (mean, varOfMean float64)) (meanZ2, maxAbs float64) {
	n := 0
	for i := range m.Sum {
		mu, v := m.Ref(i)
		rm, rv := ref(i)
		if v+rv == 0 {
			continue
		}
		z := (mu - rm) / math.Sqrt(v+rv)
		meanZ2 += z * z
		maxAbs = max(maxAbs, math.Abs(z))
		n++
	}
	return meanZ2 / float64(n), maxAbs
}
