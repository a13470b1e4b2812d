package plot

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/snnsim/snnsim/trace"
)

// Defaults of [RasterOptions].
const (
	DefaultWidth     = 8 * vg.Inch
	DefaultHeight    = 6 * vg.Inch
	DefaultDPI       = 96
	DefaultMaxPoints = 200_000
)

// RasterOptions tunes [Raster]. The zero value gives the defaults.
type RasterOptions struct {
	Title         string    // drawn above the raster
	Width, Height vg.Length // page size; default 8 × 6 inches
	DPI           int       // resolution of PNG output; default 96 (so 768 × 576 pixels)

	// Bin is the width of the rate histogram's bins, rounded to whole steps;
	// default: the trace's span / 100 (at least one step).
	Bin time.Duration

	// MaxPoints caps the number of spikes drawn in the raster (default
	// 200 000). Larger traces are thinned by a deterministic pseudo-random
	// choice of spikes (a hash of id and tick), so the same trace always
	// gives the same picture; the title says how many are shown. The rate
	// histogram always counts every spike.
	MaxPoints int
}

// Raster draws a spike raster of t (time on x, in ms for traces shorter
// than 2 s and in s otherwise; neuron id on y, one dot per spike, coloured by
// population when the trace names them) above the population firing rate in
// Hz (spikes per neuron per second in each bin), and writes it to path. The
// format follows the file extension: .png, .svg or .pdf. The file is
// replaced atomically.
func Raster(t *trace.Trace, path string, opt RasterOptions) error {
	if err := t.Validate(); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	opt.defaults()
	c, err := newCanvas(strings.ToLower(filepath.Ext(path)), opt)
	if err != nil {
		return err
	}
	if err := drawRaster(draw.New(c), t, opt); err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return fmt.Errorf("plot: encoding %s: %w", path, err)
	}
	return writeFileAtomic(path, buf.Bytes())
}

func (o *RasterOptions) defaults() {
	if o.Width <= 0 {
		o.Width = DefaultWidth
	}
	if o.Height <= 0 {
		o.Height = DefaultHeight
	}
	if o.DPI <= 0 {
		o.DPI = DefaultDPI
	}
	if o.MaxPoints <= 0 {
		o.MaxPoints = DefaultMaxPoints
	}
}

// newCanvas returns a canvas for the format named by a file extension.
func newCanvas(ext string, opt RasterOptions) (vg.CanvasWriterTo, error) {
	switch ext {
	case ".png":
		return vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(opt.Width, opt.Height), vgimg.UseDPI(opt.DPI))}, nil
	case ".svg":
		return vgsvg.New(opt.Width, opt.Height), nil
	case ".pdf":
		return vgpdf.New(opt.Width, opt.Height), nil
	}
	return nil, fmt.Errorf("plot: unsupported file extension %q (want .png, .svg or .pdf)", ext)
}

// popColors colours populations in order (blue, red, then others); neurons
// outside every population are black.
var popColors = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xd6, 0x27, 0x28, 0xff}, {0x2c, 0xa0, 0x2c, 0xff},
	{0xff, 0x7f, 0x0e, 0xff}, {0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff},
}

func drawRaster(dc draw.Canvas, t *trace.Trace, opt RasterOptions) error {
	m := &t.Meta
	steps := max(t.Steps(), 1)
	span := float64(steps) * m.DT // seconds
	scale, unit := 1e3, "ms"
	if span >= 2 {
		scale, unit = 1, "s"
	}
	n := 1
	for _, id := range t.IDs {
		n = max(n, int(id)+1)
	}
	n = max(n, m.NumNeurons)

	// Raster: one dot group per colour.
	keep := keepFunc(t.Len(), opt.MaxPoints)
	groups := make([]dots, len(popColors)+1)
	for k := range groups[:len(popColors)] {
		groups[k].color = popColors[k]
	}
	groups[len(popColors)].color = color.RGBA{A: 0xff}
	popOf := make([]int, n)
	for i := range popOf {
		popOf[i] = len(popColors)
	}
	for k, p := range m.Populations {
		for i := p.First; i < p.First+p.Size && i < n; i++ {
			popOf[i] = k % len(popColors)
		}
	}
	shown := 0
	for k, id := range t.IDs {
		if !keep(id, t.Ticks[k]) {
			continue
		}
		g := &groups[popOf[id]]
		g.xs = append(g.xs, float64(t.Ticks[k])*m.DT*scale)
		g.ys = append(g.ys, float64(id))
		shown++
	}

	top := gplot.New()
	top.Title.Text = opt.Title
	if shown < t.Len() {
		if top.Title.Text != "" {
			top.Title.Text += " "
		}
		top.Title.Text += fmt.Sprintf("(%d of %d spikes shown)", shown, t.Len())
	}
	top.Y.Label.Text = "neuron"
	top.X.Min, top.X.Max = 0, span*scale
	top.Y.Min, top.Y.Max = -0.5, float64(n)-0.5
	// Dot size: about one neuron row, between 0.3 and 1.5 points.
	r := vg.Length(math.Max(0.3, math.Min(1.5, float64(opt.Height)*0.6/float64(n)/2)))
	for k := range groups {
		if len(groups[k].xs) > 0 {
			groups[k].radius = r
			top.Add(&groups[k])
		}
	}

	// Population rate histogram.
	binTicks := int64(math.Round(opt.Bin.Seconds() / m.DT))
	if opt.Bin <= 0 {
		binTicks = int64(math.Round(float64(steps) / 100))
	}
	binTicks = max(binTicks, 1)
	nb := (steps + binTicks - 1) / binTicks
	counts := make([]float64, nb)
	for _, tick := range t.Ticks {
		counts[tick/binTicks]++
	}
	width := float64(binTicks) * m.DT * scale
	hist := &plotter.Histogram{
		Bins:      make([]plotter.HistogramBin, nb),
		Width:     width,
		FillColor: color.Gray{Y: 0x60},
	}
	for b, c := range counts {
		lo := float64(int64(b)*binTicks) * m.DT * scale
		hist.Bins[b] = plotter.HistogramBin{
			Min:    lo,
			Max:    math.Min(lo+width, span*scale),
			Weight: c / float64(n) / (float64(binTicks) * m.DT),
		}
	}
	bottom := gplot.New()
	bottom.Add(hist)
	bottom.X.Label.Text = "time (" + unit + ")"
	bottom.Y.Label.Text = "rate (Hz)"
	bottom.X.Min, bottom.X.Max = 0, span*scale
	bottom.Y.Min = 0

	// Raster on the upper two thirds, rate below, data areas aligned.
	h := dc.Max.Y - dc.Min.Y
	split := dc.Min.Y + h/3
	cTop, cBottom := dc, dc
	cTop.Min.Y, cBottom.Max.Y = split, split
	alignX([]*gplot.Plot{top, bottom}, []*draw.Canvas{&cTop, &cBottom})
	top.Draw(cTop)
	bottom.Draw(cBottom)
	return nil
}

// alignX narrows the canvases so that the plots' data areas share left and
// right edges.
func alignX(ps []*gplot.Plot, cs []*draw.Canvas) {
	var left, right vg.Length
	pads := make([][2]vg.Length, len(ps))
	for k, p := range ps {
		d := p.DataCanvas(*cs[k])
		pads[k] = [2]vg.Length{d.Min.X - cs[k].Min.X, cs[k].Max.X - d.Max.X}
		left, right = max(left, pads[k][0]), max(right, pads[k][1])
	}
	for k, c := range cs {
		c.Min.X += left - pads[k][0]
		c.Max.X -= right - pads[k][1]
	}
}

// dots draws small filled squares, faster and smaller on disk than
// plotter.Scatter's glyphs for many points.
type dots struct {
	xs, ys []float64
	color  color.Color
	radius vg.Length
}

func (d *dots) Plot(c draw.Canvas, p *gplot.Plot) {
	trX, trY := p.Transforms(&c)
	r := d.radius
	pts := make([]vg.Point, 4)
	for i, x := range d.xs {
		px, py := trX(x), trY(d.ys[i])
		pts[0] = vg.Point{X: px - r, Y: py - r}
		pts[1] = vg.Point{X: px + r, Y: py - r}
		pts[2] = vg.Point{X: px + r, Y: py + r}
		pts[3] = vg.Point{X: px - r, Y: py + r}
		c.FillPolygon(d.color, pts)
	}
}

func (d *dots) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for i, x := range d.xs {
		xmin, xmax = math.Min(xmin, x), math.Max(xmax, x)
		ymin, ymax = math.Min(ymin, d.ys[i]), math.Max(ymax, d.ys[i])
	}
	return xmin, xmax, ymin, ymax
}

// keepFunc returns the thinning rule for a trace of n spikes drawn with at
// most max points: all spikes when n <= max, else those whose hash of (id,
// tick) falls below max/n of the hash range.
func keepFunc(n, maxPoints int) func(id int32, tick int64) bool {
	if n <= maxPoints {
		return func(int32, int64) bool { return true }
	}
	threshold := uint64(float64(maxPoints) / float64(n) * (1 << 63) * 2)
	return func(id int32, tick int64) bool {
		return mix(uint64(tick)*0x9e3779b97f4a7c15^uint64(uint32(id))) < threshold
	}
}

// mix is splitmix64's finaliser.
func mix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// writeFileAtomic writes data to a temporary file beside path and renames it
// over path.
func writeFileAtomic(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if _, err := io.Copy(f, bytes.NewReader(data)); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	return nil
}
