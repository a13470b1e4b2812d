package nncore

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/mlp"
	"github.com/snnsim/snnsim/optim"
)

func TestGradAccDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const m, k, n = 3000, 7, 20
	a, d := randSlice(r, m*k), randSlice(r, m*n)
	var ref []float32
	for _, workers := range []int{1, 2, 3} {
		var acc GradAcc
		c := make([]float32, k*n)
		acc.AddTN(workers, c, a, d, m, k, n)
		if ref == nil {
			ref = c
			want := make([]float32, k*n)
			MatMulTN(want, a, d, m, k, n)
			require.InDeltaSlice(t, want, c, 1e-2)
			continue
		}
		assert.Equal(t, ref, c, "workers %d", workers)
	}
	c := make([]float32, 64*5)
	b := randSlice(r, 3*5)
	x := randSlice(r, 64*3)
	ParMatMul(2, c, x, b, 64, 5, 3, false)
	want := make([]float32, 64*5)
	MatMul(want, x, b, 64, 5, 3, false)
	assert.Equal(t, want, c)
}

func TestCentre(t *testing.T) {
	loss := []float32{1, 2, 3, 6, 0, 0, 4, 4} // two samples of four copies
	c := make([]float32, 8)
	Centre(c, loss, nil, 2, 4, lr.BaselineLOO, false, 1)
	assert.InDeltaSlice(t, []float32{1 - 11.0/3, 2 - 10.0/3, 3 - 3, 6 - 2, 0 - 8.0/3, 0 - 8.0/3, 4 - 4.0/3, 4 - 4.0/3}, c, 1e-6)
	Centre(c, loss, nil, 2, 4, lr.BaselineLOO, true, 0.5) // pairs (0,1), (2,3): the other pair's mean
	assert.InDeltaSlice(t, []float32{(1 - 4.5) / 2, (2 - 4.5) / 2, (3 - 1.5) / 2, (6 - 1.5) / 2, -2, -2, 2, 2}, c, 1e-6)
	Centre(c, loss, []float32{2, 1}, 2, 4, lr.BaselineClean, false, 1)
	assert.Equal(t, []float32{-1, 0, 1, 4, -1, -1, 3, 3}, c)
	Centre(c, loss, nil, 2, 4, lr.BaselineNone, false, 1)
	assert.Equal(t, loss, c)
	for _, tc := range []struct {
		in   lr.Baseline
		k    int
		anti bool
		want lr.Baseline
		err  bool
	}{
		{lr.BaselineAuto, 4, true, lr.BaselineLOO, false},
		{lr.BaselineAuto, 2, true, lr.BaselineClean, false},
		{lr.BaselineAuto, 1, false, lr.BaselineClean, false},
		{lr.BaselineLOO, 2, true, 0, true},
		{lr.BaselineNone, 1, false, lr.BaselineNone, false},
	} {
		b, err := ResolveBaseline("x", tc.in, tc.k, tc.anti)
		if tc.err {
			require.Error(t, err)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tc.want, b)
	}
}

func TestSoftmaxCEAndActDeriv(t *testing.T) {
	z := []float32{0.3, -1, 2}
	g := make([]float32, 3)
	l := SoftmaxCE(g, z, 1, 1)
	assert.InDelta(t, mlp.CrossEntropy.Loss(z, 1), l, 1e-6)
	for i := range z {
		old := z[i]
		z[i] = old + 1e-3
		lp := SoftmaxCE(nil, z, 1, 1)
		z[i] = old - 1e-3
		lm := SoftmaxCE(nil, z, 1, 1)
		z[i] = old
		assert.InDelta(t, (lp-lm)/2e-3, g[i], 1e-3)
	}
	assert.Equal(t, 2, Argmax(z))
	for _, a := range []mlp.Act{mlp.Identity, mlp.ReLU, mlp.Sigmoid, mlp.Tanh} {
		zz := []float32{-0.7, 0.4, 1.3}
		h := make([]float32, 3)
		a.Apply(h, zz)
		d := []float32{1, 1, 1}
		ActDeriv(a, d, zz, h)
		for i := range zz {
			p, m := []float32{zz[i] + 1e-3}, []float32{zz[i] - 1e-3}
			a.Apply(p, p)
			a.Apply(m, m)
			assert.InDelta(t, (p[0]-m[0])/2e-3, d[i], 2e-3, "%s", a)
		}
	}
	assert.Panics(t, func() { ActDeriv(mlp.Step, []float32{1}, []float32{1}, []float32{1}) })
}

func testParams() []lr.Param {
	return []lr.Param{
		{Name: "W", Shape: []int{2, 3}, Value: []float32{1, 2, 3, 4, 5, 6}, Grad: make([]float32, 6)},
		{Name: "b", Shape: []int{3}, Value: []float32{-1, 0, 1}, Grad: make([]float32, 3)},
	}
}

func encodeTest(t testing.TB, withOpt bool) []byte {
	var opt *mlp.OptimizerState
	if withOpt {
		opt = &mlp.OptimizerState{Name: "sgd", LR: 0.1, State: optim.State{Steps: 3, Buffers: [][]float32{make([]float32, 6), {1, 2, 3}}}}
	}
	var b bytes.Buffer
	require.NoError(t, Encode(&b, "cnn", map[string]int{"x": 1}, testParams(), mlp.Info{Seed: 4}, &lr.TrainState{Epoch: 1}, opt))
	return b.Bytes()
}

func TestContainer(t *testing.T) {
	b := encodeTest(t, true)
	h, err := DecodeHeader(b, "cnn")
	require.NoError(t, err)
	var arch struct{ X int }
	require.NoError(t, h.DecodeArch(&arch))
	assert.Equal(t, 1, arch.X)
	ps := testParams()
	for _, p := range ps {
		clear(p.Value)
	}
	opt, err := h.ReadTensors(ps)
	require.NoError(t, err)
	assert.Equal(t, testParams()[0].Value, ps[0].Value)
	assert.Equal(t, []float32{1, 2, 3}, opt.State.Buffers[1])
	assert.Equal(t, uint64(4), h.Info.Seed)
	// Wrong kind, wrong tensors, strict architecture.
	_, err = DecodeHeader(b, "rnn")
	require.ErrorIs(t, err, ErrFormat)
	require.ErrorContains(t, err, `kind "cnn"`)
	_, err = h.ReadTensors(testParams()[:1])
	require.ErrorIs(t, err, ErrFormat)
	require.ErrorIs(t, h.DecodeArch(&struct{ Y int }{}), ErrFormat)
	path := filepath.Join(t.TempDir(), "f.snnm")
	require.NoError(t, os.WriteFile(path, b, 0o644))
	k, err := PeekKind(path)
	require.NoError(t, err)
	assert.Equal(t, "cnn", k)
	require.NoError(t, os.WriteFile(path, []byte("not a model"), 0o644))
	k, err = PeekKind(path)
	require.NoError(t, err)
	assert.Empty(t, k)
	_, err = PeekKind(filepath.Join(t.TempDir(), "missing"))
	require.Error(t, err)
}

func FuzzDecodeHeader(f *testing.F) {
	f.Add(encodeTest(f, true))
	f.Add(encodeTest(f, false))
	f.Add([]byte("SNNSIMMD\x01\x00\x00\x00\x02\x00\x00\x00{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := DecodeHeader(b, "cnn")
		if err != nil {
			require.ErrorIs(t, err, ErrFormat)
			return
		}
		if _, err := h.ReadTensors(testParams()); err != nil {
			require.ErrorIs(t, err, ErrFormat)
		}
	})
}

func TestNoiseAndScores(t *testing.T) {
	a, b := make([]float32, 1000), make([]float32, 1000)
	Noise(a, lr.Gaussian{}, 1, 2)
	Noise(b, lr.Gaussian{}, 1, 2)
	assert.Equal(t, a, b)
	var s float64
	for _, v := range a {
		s += float64(v * v)
	}
	assert.InDelta(t, 1, s/1000, 0.15)
	Noise(a, lr.Laplace{}, 3, 4)
	Scores(a, lr.Laplace{})
	for _, v := range a {
		assert.Equal(t, 1.0, math.Abs(float64(v)))
	}
}
