package plot

import (
	"bytes"
	"image"
	_ "image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot/vg"

	"github.com/snnsim/snnsim/trace"
)

// synthetic returns a random trace: n neurons (80 % E, 20 % I) firing at
// about rate Hz for steps steps of 0.1 ms, with a slow population rhythm.
func synthetic(seed uint64, n int, steps int64, rate float64) *trace.Trace {
	rng := rand.New(rand.NewPCG(seed, 2))
	t := &trace.Trace{Meta: trace.Meta{DT: 1e-4, Seed: seed, Source: "sim", NumNeurons: n, Duration: steps,
		Populations: []trace.PopRange{{Name: "E", First: 0, Size: n * 4 / 5}, {Name: "I", First: n * 4 / 5, Size: n - n*4/5}}}}
	for tick := range steps {
		p := rate * 1e-4 * (1 + 0.8*float64((tick/500)%2))
		for id := range n {
			if rng.Float64() < p {
				t.Append(int32(id), tick)
			}
		}
	}
	return t
}

func TestRasterPNG(t *testing.T) {
	tr := synthetic(1, 200, 5000, 20) // 0.5 s
	path := filepath.Join(t.TempDir(), "raster.png")
	require.NoError(t, Raster(tr, path, RasterOptions{Title: "synthetic", Width: 6 * vg.Inch, Height: 4 * vg.Inch}))

	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, format, err := image.Decode(f)
	require.NoError(t, err)
	assert.Equal(t, "png", format)
	assert.Equal(t, image.Rect(0, 0, 576, 384), img.Bounds())

	// Not blank: some pixels are coloured (the E population's blue).
	blue := 0
	for y := 0; y < 384; y++ {
		for x := 0; x < 576; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if b > 0x9000 && r < 0x5000 && g < 0xa000 {
				blue++
			}
		}
	}
	assert.Greater(t, blue, 500, "blue pixels")
}

func TestRasterFormats(t *testing.T) {
	tr := synthetic(2, 50, 30000, 5) // 3 s: time in seconds
	dir := t.TempDir()
	for ext, magic := range map[string]string{".svg": "<?xml", ".pdf": "%PDF", ".PNG": "\x89PNG"} {
		path := filepath.Join(dir, "r"+ext)
		require.NoError(t, Raster(tr, path, RasterOptions{Bin: 50 * time.Millisecond}), ext)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.True(t, bytes.HasPrefix(b, []byte(magic)), "%s starts with %q", ext, b[:min(8, len(b))])
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 3, "no temporary files left")
}

func TestRasterEdgeCases(t *testing.T) {
	dir := t.TempDir()
	empty := &trace.Trace{Meta: trace.Meta{DT: 1e-4}}
	require.NoError(t, Raster(empty, filepath.Join(dir, "empty.png"), RasterOptions{}))

	one := &trace.Trace{Meta: trace.Meta{DT: 1e-3}}
	one.Append(0, 0)
	require.NoError(t, Raster(one, filepath.Join(dir, "one.svg"), RasterOptions{}))

	err := Raster(one, filepath.Join(dir, "r.gif"), RasterOptions{})
	require.EqualError(t, err, `plot: unsupported file extension ".gif" (want .png, .svg or .pdf)`)

	bad := &trace.Trace{}
	require.ErrorContains(t, Raster(bad, filepath.Join(dir, "bad.png"), RasterOptions{}), "plot: trace: DT = 0")

	require.Error(t, Raster(one, filepath.Join(dir, "no-such-dir", "r.png"), RasterOptions{}))
}

func TestThinning(t *testing.T) {
	tr := synthetic(3, 400, 2000, 100) // ~8000 spikes
	n := tr.Len()
	keep := keepFunc(n, 1000)
	kept := 0
	var first []int
	for k, id := range tr.IDs {
		if keep(id, tr.Ticks[k]) {
			kept++
			first = append(first, k)
		}
	}
	assert.InDelta(t, 1000, kept, 150, "kept %d of %d", kept, n)

	// Deterministic.
	keep2 := keepFunc(n, 1000)
	var second []int
	for k, id := range tr.IDs {
		if keep2(id, tr.Ticks[k]) {
			second = append(second, k)
		}
	}
	assert.Equal(t, first, second)

	all := keepFunc(10, 10)
	assert.True(t, all(3, 5))

	// A thinned raster still draws.
	require.NoError(t, Raster(tr, filepath.Join(t.TempDir(), "thin.png"), RasterOptions{MaxPoints: 1000}))
}

func BenchmarkRasterPNG(b *testing.B) {
	tr := synthetic(4, 4000, 2000, 50) // ~40k spikes
	path := filepath.Join(b.TempDir(), "r.png")
	for b.Loop() {
		if err := Raster(tr, path, RasterOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
