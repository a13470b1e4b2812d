package cnn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/snnsim/snnsim/internal/nncore"
	"github.com/snnsim/snnsim/lr"
)

// scratchFloats bounds the im2col buffer of one pass (256 KiB, about half of L2): a pass
// takes as many samples as fit, at least one.
const scratchFloats = 1 << 16

// gradParts is the number of partial weight gradients AddGrad sums in parallel; each
// owns a fixed set of sample chunks, so the result does not depend on the workers.
const gradParts = 8

// Conv2D is a 2-D convolution with F filters of K×K, stride and zero padding, computed as
// im2col and one matrix product per pass: out (pixels×F) = cols (pixels×K·K·C) · W.
// W is stored input-major, (K·K·C)×F with row (ky·K + kx)·C + c, like mlp's Dense, so that
// the forward product needs no transpose and the weight gradient is colsᵀ·delta.
type Conv2D struct {
	In                Shape
	F, K, Stride, Pad int
	// CHW marks a channel-major input (the dataset's images); otherwise HWC.
	CHW    bool
	W, B   []float32
	GW, GB []float32
	// Workers bounds the goroutines of AddGrad (GOMAXPROCS when <= 0).
	Workers int

	wt      []float32 // F×(K·K·C) transpose of W for Backward (Prepare)
	scratch sync.Pool // *[]float32 im2col buffers
	parts   [][]float32
}

// NewConv2D returns a convolution with He-uniform weights (gain √2 over fan-in K·K·C,
// scaled by gain/√2) drawn from seed, and zero biases.
func NewConv2D(in Shape, f, k, stride, pad int, chw bool, gain float64, seed uint64) (*Conv2D, error) {
	c := &Conv2D{In: in, F: f, K: k, Stride: stride, Pad: pad, CHW: chw}
	if err := c.check(); err != nil {
		return nil, err
	}
	n := k * k * in.C
	c.W, c.GW = make([]float32, n*f), make([]float32, n*f)
	c.B, c.GB = make([]float32, f), make([]float32, f)
	r := rand.New(rand.NewPCG(seed, 0x636f6e76))
	lim := gain * math.Sqrt(3/float64(n))
	for i := range c.W {
		c.W[i] = float32((2*r.Float64() - 1) * lim)
	}
	return c, nil
}

func (c *Conv2D) check() error {
	if c.In.C < 1 || c.In.H < 1 || c.In.W < 1 || c.F < 1 || c.K < 1 || c.Stride < 1 || c.Pad < 0 {
		return fmt.Errorf("cnn: convolution %d filters of %d×%d stride %d pad %d on %v", c.F, c.K, c.K, c.Stride, c.Pad, c.In)
	}
	if c.In.H+2*c.Pad < c.K || c.In.W+2*c.Pad < c.K {
		return fmt.Errorf("cnn: %d×%d kernel larger than the padded %v input", c.K, c.K, c.In)
	}
	if c.In.Size() > 1<<24 || c.K*c.K*c.In.C*c.F > 1<<26 {
		return fmt.Errorf("cnn: convolution on %v with %d filters of %d×%d is too large", c.In, c.F, c.K, c.K)
	}
	return nil
}

// Out returns the output shape: F channels of ((H + 2·Pad − K)/Stride + 1) rows and
// columns.
func (c *Conv2D) Out() Shape {
	return Shape{C: c.F, H: (c.In.H+2*c.Pad-c.K)/c.Stride + 1, W: (c.In.W+2*c.Pad-c.K)/c.Stride + 1}
}

// Dims implements lr.Mean.
func (c *Conv2D) Dims() (int, int) { return c.In.Size(), c.Out().Size() }

// Params implements lr.Mean.
func (c *Conv2D) Params() []lr.Param {
	return []lr.Param{
		{Name: "W", Shape: []int{c.K, c.K, c.In.C, c.F}, Value: c.W, Grad: c.GW},
		{Name: "b", Shape: []int{c.F}, Value: c.B, Grad: c.GB},
	}
}

// Spec implements Layer.
func (c *Conv2D) Spec() string {
	return LayerSpec{Kind: "conv", N: c.F, K: c.K, Stride: c.Stride, Pad: c.Pad}.String()
}

// Prepare implements Layer: it refreshes the transposed weights Backward uses.
func (c *Conv2D) Prepare() {
	n := c.K * c.K * c.In.C
	if len(c.wt) != n*c.F {
		c.wt = make([]float32, n*c.F)
	}
	nncore.Transpose(c.wt, c.W, n, c.F)
}

// passRows is the number of samples one im2col pass holds.
func (c *Conv2D) passRows() int {
	o := c.Out()
	return max(1, scratchFloats/(o.H*o.W*c.K*c.K*c.In.C))
}

func (c *Conv2D) getScratch(n int) *[]float32 {
	if p, ok := c.scratch.Get().(*[]float32); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	s := make([]float32, n)
	return &s
}

// im2col writes the patches of n samples of x into cols: one row of K·K·C values per
// output pixel, in the order (ky, kx, c); out-of-image taps are 0.
func (c *Conv2D) im2col(cols, x []float32, n int) {
	C, H, W := c.In.C, c.In.H, c.In.W
	o := c.Out()
	K, S, P := c.K, c.Stride, c.Pad
	ckk := K * K * C
	sy, sx, sc := W*C, C, 1
	if c.CHW {
		sy, sx, sc = W, 1, H*W
	}
	contig := sx == C && (sc == 1 || C == 1) // a row of K taps is K·C contiguous values
	in := C * H * W
	for s := range n {
		xs := x[s*in : (s+1)*in]
		for oy := range o.H {
			iy0 := oy*S - P
			for ox := range o.W {
				ix0 := ox*S - P
				row := cols[((s*o.H+oy)*o.W+ox)*ckk:][:ckk]
				full := ix0 >= 0 && ix0+K <= W
				i := 0
				for ky := range K {
					iy := iy0 + ky
					if iy < 0 || iy >= H {
						clear(row[i : i+K*C])
						i += K * C
						continue
					}
					if contig && full {
						b := iy*sy + ix0*sx
						copy(row[i:i+K*C], xs[b:b+K*C])
						i += K * C
						continue
					}
					for kx := range K {
						ix := ix0 + kx
						seg := row[i : i+C]
						i += C
						if ix < 0 || ix >= W {
							clear(seg)
							continue
						}
						b := iy*sy + ix*sx
						if sc == 1 {
							copy(seg, xs[b:b+C])
						} else {
							for ch := range seg {
								seg[ch] = xs[b+ch*sc]
							}
						}
					}
				}
			}
		}
	}
}

// col2im adds the patch gradients cols of n samples into dx (which it zeroes first).
func (c *Conv2D) col2im(dx, cols []float32, n int) {
	C, H, W := c.In.C, c.In.H, c.In.W
	o := c.Out()
	K, S, P := c.K, c.Stride, c.Pad
	ckk := K * K * C
	sy, sx, sc := W*C, C, 1
	if c.CHW {
		sy, sx, sc = W, 1, H*W
	}
	in := C * H * W
	clear(dx[:n*in])
	for s := range n {
		xs := dx[s*in : (s+1)*in]
		for oy := range o.H {
			for ox := range o.W {
				row := cols[((s*o.H+oy)*o.W+ox)*ckk:][:ckk]
				i := 0
				for ky := range K {
					iy := oy*S - P + ky
					for kx := range K {
						ix := ox*S - P + kx
						seg := row[i : i+C]
						i += C
						if iy < 0 || iy >= H || ix < 0 || ix >= W {
							continue
						}
						b := iy*sy + ix*sx
						for ch, v := range seg {
							xs[b+ch*sc] += v
						}
					}
				}
			}
		}
	}
}

// Forward implements lr.Mean: im2col of as many samples as fit in the scratch buffer,
// then one product per pass. It runs on the calling goroutine.
func (c *Conv2D) Forward(dst, x []float32, rows int) {
	in, out := c.Dims()
	if len(dst) < rows*out || len(x) < rows*in {
		panic(fmt.Sprintf("cnn: Conv2D.Forward: %d rows need %d inputs and %d outputs, got %d and %d",
			rows, rows*in, rows*out, len(x), len(dst)))
	}
	o := c.Out()
	pix := o.H * o.W
	ckk := c.K * c.K * c.In.C
	pr := c.passRows()
	sp := c.getScratch(pr * pix * ckk)
	defer c.scratch.Put(sp)
	cols := *sp
	for r0 := 0; r0 < rows; r0 += pr {
		n := min(pr, rows-r0)
		c.im2col(cols, x[r0*in:], n)
		z := dst[r0*out : (r0+n)*out]
		for p := range n * pix {
			copy(z[p*c.F:(p+1)*c.F], c.B)
		}
		nncore.MatMul(z, cols, c.W, n*pix, c.F, ckk, true)
	}
}

// AddGrad implements lr.Mean: GW += colsᵀ·delta and GB += Σ delta over every output pixel
// of rows rows. The rows are cut into passes; gradParts partial sums, each over a fixed set
// of passes, run in parallel and are added in order: bit-identical at any worker count.
func (c *Conv2D) AddGrad(x, delta []float32, rows int) {
	in, out := c.Dims()
	if len(delta) < rows*out || len(x) < rows*in {
		panic(fmt.Sprintf("cnn: Conv2D.AddGrad: %d rows need %d inputs and %d deltas, got %d and %d",
			rows, rows*in, rows*out, len(x), len(delta)))
	}
	if rows == 0 {
		return
	}
	o := c.Out()
	pix := o.H * o.W
	ckk := c.K * c.K * c.In.C
	for r := range rows * pix {
		for i, v := range delta[r*c.F : (r+1)*c.F] {
			c.GB[i] += v
		}
	}
	pr := c.passRows()
	passes := (rows + pr - 1) / pr
	parts := min(gradParts, passes)
	for len(c.parts) < parts {
		c.parts = append(c.parts, make([]float32, len(c.W)))
	}
	lr.ParallelFor(c.Workers, parts, func(_, p int) {
		g := c.parts[p]
		clear(g)
		sp := c.getScratch(pr * pix * ckk)
		defer c.scratch.Put(sp)
		cols := *sp
		for q := p; q < passes; q += parts {
			r0 := q * pr
			n := min(pr, rows-r0)
			c.im2col(cols, x[r0*in:], n)
			nncore.MatMulTN(g, cols, delta[r0*out:(r0+n)*out], n*pix, ckk, c.F)
		}
	})
	for p := range parts {
		for i, v := range c.parts[p] {
			c.GW[i] += v
		}
	}
}

// Backward implements Layer: dcols = delta·Wᵀ, then col2im. It needs Prepare.
func (c *Conv2D) Backward(dx, _, delta []float32, rows int) {
	in, out := c.Dims()
	if len(c.wt) != len(c.W) {
		panic("cnn: Conv2D.Backward before Prepare")
	}
	o := c.Out()
	pix := o.H * o.W
	ckk := c.K * c.K * c.In.C
	pr := c.passRows()
	sp := c.getScratch(pr * pix * ckk)
	defer c.scratch.Put(sp)
	cols := *sp
	for r0 := 0; r0 < rows; r0 += pr {
		n := min(pr, rows-r0)
		nncore.MatMul(cols, delta[r0*out:(r0+n)*out], c.wt, n*pix, ckk, c.F, false)
		c.col2im(dx[r0*in:(r0+n)*in], cols, n)
	}
}
