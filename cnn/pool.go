package cnn

import (
	"fmt"

	"github.com/snnsim/snnsim/lr"
)

// Pool is max or average pooling over K×K windows with a stride, channel by channel, on
// HWC samples (windows that would cross the border are dropped). It has no parameters:
// as an LR stage it carries no noise.
type Pool struct {
	In        Shape
	K, Stride int
	Max       bool // max pooling; otherwise average
}

// NewPool checks the window against the input.
func NewPool(in Shape, k, stride int, isMax bool) (*Pool, error) {
	p := &Pool{In: in, K: k, Stride: stride, Max: isMax}
	if k < 1 || stride < 1 || in.H < k || in.W < k || in.C < 1 {
		return nil, fmt.Errorf("cnn: %d×%d pooling with stride %d on %v", k, k, stride, in)
	}
	return p, nil
}

// Out returns the output shape.
func (p *Pool) Out() Shape {
	return Shape{C: p.In.C, H: (p.In.H-p.K)/p.Stride + 1, W: (p.In.W-p.K)/p.Stride + 1}
}

// Dims implements lr.Mean.
func (p *Pool) Dims() (int, int) { return p.In.Size(), p.Out().Size() }

// Params implements lr.Mean: none.
func (p *Pool) Params() []lr.Param { return nil }

// AddGrad implements lr.Mean: nothing to add.
func (p *Pool) AddGrad(_, _ []float32, _ int) {}

// Prepare implements Layer: nothing to refresh.
func (p *Pool) Prepare() {}

// Spec implements Layer.
func (p *Pool) Spec() string {
	k := "avgpool"
	if p.Max {
		k = "maxpool"
	}
	return LayerSpec{Kind: k, K: p.K, Stride: p.Stride}.String()
}

// Forward implements lr.Mean.
func (p *Pool) Forward(dst, x []float32, rows int) {
	in, out := p.Dims()
	if len(dst) < rows*out || len(x) < rows*in {
		panic(fmt.Sprintf("cnn: Pool.Forward: %d rows need %d inputs and %d outputs, got %d and %d",
			rows, rows*in, rows*out, len(x), len(dst)))
	}
	C, W := p.In.C, p.In.W
	o := p.Out()
	for r := range rows {
		xs := x[r*in : (r+1)*in]
		for oy := range o.H {
			for ox := range o.W {
				d := dst[r*out+(oy*o.W+ox)*C:][:C]
				for ky := range p.K {
					for kx := range p.K {
						p.take(d, xs[((oy*p.Stride+ky)*W+ox*p.Stride+kx)*C:][:C], ky == 0 && kx == 0)
					}
				}
				p.finish(d)
			}
		}
	}
}

// take folds the C values s of one window position into the output d: the first
// position is copied, the others are max-ed or summed in.
func (p *Pool) take(d, s []float32, first bool) {
	switch {
	case first:
		copy(d, s)
	case p.Max:
		for c, v := range s {
			d[c] = max(d[c], v)
		}
	default:
		for c, v := range s {
			d[c] += v
		}
	}
}

// finish turns a window's sum into its mean (average pooling).
func (p *Pool) finish(d []float32) {
	if p.Max {
		return
	}
	inv := 1 / float32(p.K*p.K)
	for c := range d {
		d[c] *= inv
	}
}

// Backward implements Layer: the gradient goes to the window's maximum (the first one on
// ties, as Forward keeps it) or is spread evenly over the window.
func (p *Pool) Backward(dx, x, delta []float32, rows int) {
	in, out := p.Dims()
	C, W := p.In.C, p.In.W
	o := p.Out()
	inv := 1 / float32(p.K*p.K)
	clear(dx[:rows*in])
	for r := range rows {
		xs, ds := x[r*in:(r+1)*in], dx[r*in:(r+1)*in]
		for oy := range o.H {
			for ox := range o.W {
				d := delta[r*out+(oy*o.W+ox)*C:][:C]
				for c, g := range d {
					if g == 0 {
						continue
					}
					if !p.Max {
						for ky := range p.K {
							for kx := range p.K {
								ds[((oy*p.Stride+ky)*W+ox*p.Stride+kx)*C+c] += g * inv
							}
						}
						continue
					}
					best := -1
					for ky := range p.K {
						for kx := range p.K {
							i := ((oy*p.Stride+ky)*W+ox*p.Stride+kx)*C + c
							if best < 0 || xs[i] > xs[best] {
								best = i
							}
						}
					}
					ds[best] += g
				}
			}
		}
	}
}
