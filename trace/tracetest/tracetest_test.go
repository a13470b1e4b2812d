package tracetest

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnsim/snnsim/trace"
)

// synthetic returns a small fixed trace: 8 neurons (6 E, 2 I), 200 steps.
func synthetic() *trace.Trace {
	t := &trace.Trace{Meta: trace.Meta{DT: 1e-4, Seed: 7, Source: "sim", NumNeurons: 8, Duration: 200,
		NetworkHash: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		Populations: []trace.PopRange{{Name: "E", First: 0, Size: 6}, {Name: "I", First: 6, Size: 2}}}}
	for tick := range int64(200) {
		for id := range int32(8) {
			if (tick*7+int64(id)*13)%23 == 0 {
				t.Append(id, tick)
			}
		}
	}
	return t
}

func TestGolden(t *testing.T) {
	Golden(t, filepath.Join("testdata", "synthetic.npz"), synthetic())
}

// recorder captures failures instead of failing the test.
type recorder struct {
	testing.TB
	errors []string
	fatal  bool
}

func (r *recorder) Helper()                   {}
func (r *recorder) Logf(string, ...any)       {}
func (r *recorder) Errorf(f string, a ...any) { r.errors = append(r.errors, f) }
func (r *recorder) Fatalf(f string, a ...any) {
	r.errors = append(r.errors, f)
	r.fatal = true
	panic(r)
}

func run(tb testing.TB, path string, got *trace.Trace) (r *recorder) {
	r = &recorder{TB: tb}
	defer func() {
		if p := recover(); p != nil && p != r {
			panic(p)
		}
	}()
	Golden(r, path, got)
	return r
}

func TestGoldenMismatch(t *testing.T) {
	path := filepath.Join("testdata", "synthetic.npz")
	got := synthetic()
	got.Ticks[3]++ // still sorted: ticks are far apart
	got.Meta.Seed = 8
	r := run(t, path, got)
	require.Len(t, r.errors, 1)
	assert.False(t, r.fatal)

	want, err := trace.ReadFile(path, trace.ReadOptions{})
	require.NoError(t, err)
	d := Diff(want, got)
	assert.Contains(t, d, "meta Seed: golden 7, got 8\n")
	assert.Contains(t, d, "spikes: 70 in golden, 70 got: 69 matched, 1 missing, 1 unexpected\n")
	assert.Contains(t, d, "  - missing:    neuron")
	assert.Contains(t, d, "  + unexpected: neuron")
	t.Log("\n" + d)

	r = run(t, filepath.Join(t.TempDir(), "none.npz"), got)
	require.Len(t, r.errors, 1)
	assert.True(t, r.fatal)

	assert.Empty(t, Diff(want, want))
}

func TestDiffListsAtMostTen(t *testing.T) {
	want := synthetic()
	got := &trace.Trace{Meta: want.Meta}
	d := Diff(want, got)
	assert.Contains(t, d, "... and 60 more")
}
