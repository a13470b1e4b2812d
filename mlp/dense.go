package mlp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/snnsim/snnsim/lr"
)

// wideOut is the output width from which a dense layer works with one axpy of a weight
// row per non-zero input; narrower layers use dot products on a transposed copy (a test
// per input would mispredict on the random sparsity of hidden activations and cost more
// than the products it saves).
const wideOut = 32

// gradBlock is the number of weight rows (inputs) one parallel task of AddGrad owns.
const gradBlock = 16

// narrowGroup is the number of outputs one parallel task of a narrow AddGrad owns.
const narrowGroup = 5

// Dense is a fully connected layer z = W x + b. W is stored input-major: W[j*Out+i] is the
// weight from input j to output i, so that a zero input skips a whole contiguous row, and
// the first layer of an MLP on MNIST (80 % zero pixels) costs a fifth of a dense product.
type Dense struct {
	In, Out int
	W, B    []float32 // In×Out weights (input-major) and Out biases
	GW, GB  []float32 // their gradients
	// Workers bounds the goroutines of AddGrad (GOMAXPROCS when <= 0); results do not
	// depend on it.
	Workers int

	wt  []float32 // Out×In transposed copy (narrow layers), made by Prepare
	gwt []float32 // Out×In gradient scratch (narrow layers)

	patterns sync.Pool // *pattern scratch of Forward and AddGrad (wide layers)
}

func (d *Dense) pattern() *pattern {
	if p, ok := d.patterns.Get().(*pattern); ok {
		return p
	}
	return new(pattern)
}

// NewDense returns an in→out layer with weights uniform in ±sqrt(6/(in+out)) scaled by
// gain (Glorot; gain √2 for ReLU) and zero biases, drawn from a PCG seeded with seed.
func NewDense(in, out int, gain float64, seed uint64) *Dense {
	d := &Dense{In: in, Out: out,
		W: make([]float32, in*out), B: make([]float32, out),
		GW: make([]float32, in*out), GB: make([]float32, out)}
	r := rand.New(rand.NewPCG(seed, 0x64656e7365))
	lim := gain * math.Sqrt(6/float64(in+out))
	for i := range d.W {
		d.W[i] = float32((2*r.Float64() - 1) * lim)
	}
	return d
}

// Dims implements lr.Mean.
func (d *Dense) Dims() (int, int) { return d.In, d.Out }

// Params implements lr.Mean.
func (d *Dense) Params() []lr.Param {
	return []lr.Param{
		{Name: "W", Shape: []int{d.In, d.Out}, Value: d.W, Grad: d.GW},
		{Name: "b", Shape: []int{d.Out}, Value: d.B, Grad: d.GB},
	}
}

func (d *Dense) narrow() bool { return d.Out < wideOut }

// Prepare implements lr.Preparer: narrow layers refresh their transposed weights. It must
// be called after every change of W and before Forward or Backward.
func (d *Dense) Prepare() {
	if !d.narrow() {
		return
	}
	if len(d.wt) != d.In*d.Out {
		d.wt = make([]float32, d.In*d.Out)
	}
	for j := range d.In {
		row := d.W[j*d.Out : (j+1)*d.Out]
		for i, v := range row {
			d.wt[i*d.In+j] = v
		}
	}
}

// Forward implements lr.Mean.
func (d *Dense) Forward(dst, x []float32, rows int) {
	in, out := d.In, d.Out
	if len(dst) < rows*out || len(x) < rows*in {
		panic(fmt.Sprintf("mlp: Dense.Forward: %d rows need %d inputs and %d outputs, got %d and %d",
			rows, rows*in, rows*out, len(x), len(dst)))
	}
	if d.narrow() {
		if len(d.wt) != in*out {
			panic("mlp: Dense.Forward before Prepare")
		}
		for r := range rows {
			zr := dst[r*out : (r+1)*out]
			dotRows(zr, d.wt, x[r*in:(r+1)*in])
			for i, b := range d.B {
				zr[i] += b
			}
		}
		return
	}
	d.forwardWide(dst, x, rows)
}

// Splitting of wide forwards into tasks: rowBlock rows by sparseCols outputs (the last
// block of outputs also takes the remainder), fixed by the shape; sparseCols is set by
// the kernel (a block of weights that stays in L2 while the rows stream past). From
// bigRows rows on, the tasks run in parallel.
const (
	bigRows  = 32
	rowBlock = 16
)

// forwardWide is Forward for wide layers: each row's non-zero inputs are gathered once,
// then every (row block, column block) task adds their weight rows to its outputs.
func (d *Dense) forwardWide(dst, x []float32, rows int) {
	in, out := d.In, d.Out
	p := d.pattern()
	defer d.patterns.Put(p)
	p.rowsOf(x, rows, in)
	cb := max(1, out/sparseCols) // the last block takes the remainder
	rb := (rows + rowBlock - 1) / rowBlock
	task := func(_, t int) {
		c0, c1 := (t/rb)*sparseCols, (t/rb+1)*sparseCols
		if t/rb == cb-1 {
			c1 = out
		}
		r0, r1 := (t%rb)*rowBlock, min(rows, (t%rb+1)*rowBlock)
		for r := r0; r < r1; r++ {
			zr := dst[r*out+c0 : r*out+c1]
			copy(zr, d.B[c0:c1])
			k0, k1 := p.ptr[r], p.ptr[r+1]
			sparseRows(zr, p.idx[k0:k1], p.val[k0:k1], d.W[c0:], out)
		}
	}
	if rows < bigRows {
		for t := range cb * rb {
			task(0, t)
		}
		return
	}
	lr.ParallelFor(d.Workers, cb*rb, task)
}

// dotRows writes dst[i] = w_i·x for the len(dst) rows w_i of w (each len(x) long):
// dotRowsGeneric, or with AVX2 kernels in GOEXPERIMENT=simd builds.
var dotRows = dotRowsGeneric

func dotRowsGeneric(dst, w, x []float32) {
	n := len(x)
	i := 0
	for ; i+4 <= len(dst); i += 4 {
		dst[i], dst[i+1], dst[i+2], dst[i+3] = dot4(w[i*n:(i+1)*n], w[(i+1)*n:(i+2)*n], w[(i+2)*n:(i+3)*n], w[(i+3)*n:(i+4)*n], x)
	}
	for ; i < len(dst); i++ {
		dst[i] = dot(w[i*n:(i+1)*n], x)
	}
}

// sparseAxpy adds Σ_j c[j]·w_j into y over the non-zero c[j], where w_j is row j of w
// (len(y) values): four rows per pass over y.
func sparseAxpy(y, c, w []float32) {
	n := len(y)
	var a [4]float32
	var o [4]int
	k := 0
	for j, v := range c {
		if v == 0 {
			continue
		}
		a[k], o[k] = v, j*n
		k++
		if k == 4 {
			axpy4(a[0], a[1], a[2], a[3], w[o[0]:o[0]+n], w[o[1]:o[1]+n], w[o[2]:o[2]+n], w[o[3]:o[3]+n], y)
			k = 0
		}
	}
	for i := range k {
		axpy(a[i], w[o[i]:o[i]+n], y)
	}
}

// AddGrad implements lr.Mean: GW += xᵀ·delta, GB += Σ delta. Work is split over fixed
// blocks of weight rows, each summing over the rows in order: bit-identical at any
// number of workers. Zero inputs (wide layers) and zero deltas (narrow layers) cost
// nothing.
func (d *Dense) AddGrad(x, delta []float32, rows int) {
	in, out := d.In, d.Out
	if len(delta) < rows*out || len(x) < rows*in {
		panic(fmt.Sprintf("mlp: Dense.AddGrad: %d rows need %d inputs and %d deltas, got %d and %d",
			rows, rows*in, rows*out, len(x), len(delta)))
	}
	for r := range rows {
		dr := delta[r*out : (r+1)*out]
		for i, v := range dr {
			d.GB[i] += v
		}
	}
	if d.narrow() {
		if len(d.gwt) != in*out {
			d.gwt = make([]float32, in*out)
		}
		first := 0
		if narrowGrad8 != nil {
			// Groups of eight outputs by the AVX2 kernel, in tasks of 64 inputs.
			first = out / 8 * 8
			blocks := (in + 63) / 64
			lr.ParallelFor(d.Workers, blocks, func(_, b int) {
				c0, c1 := b*64, min(in, (b+1)*64)
				for i0 := 0; i0 < first; i0 += 8 {
					for i := i0; i < i0+8; i++ {
						clear(d.gwt[i*in+c0 : i*in+c1])
					}
					narrowGrad8(d.gwt, x, delta, rows, in, out, i0, c0, c1)
				}
			})
		}
		// Output groups of narrowGroup (fixed), rows outer: each input row is read once
		// per group, and the group's gradient rows stay in L1.
		groups := (out - first + narrowGroup - 1) / narrowGroup
		lr.ParallelFor(d.Workers, groups, func(_, g int) {
			i0, i1 := first+g*narrowGroup, min(out, first+(g+1)*narrowGroup)
			clear(d.gwt[i0*in : i1*in])
			r := 0
			for ; r+4 <= rows; r += 4 {
				x0, x1, x2, x3 := x[r*in:(r+1)*in], x[(r+1)*in:(r+2)*in], x[(r+2)*in:(r+3)*in], x[(r+3)*in:(r+4)*in]
				for i := i0; i < i1; i++ {
					axpy4(delta[r*out+i], delta[(r+1)*out+i], delta[(r+2)*out+i], delta[(r+3)*out+i],
						x0, x1, x2, x3, d.gwt[i*in:(i+1)*in])
				}
			}
			for ; r < rows; r++ {
				for i := i0; i < i1; i++ {
					axpy(delta[r*out+i], x[r*in:(r+1)*in], d.gwt[i*in:(i+1)*in])
				}
			}
		})
		for j := range in {
			gw := d.GW[j*out : (j+1)*out]
			for i := range out {
				gw[i] += d.gwt[i*in+j]
			}
		}
		return
	}
	p, t := d.pattern(), d.pattern()
	defer d.patterns.Put(p)
	defer d.patterns.Put(t)
	p.rowsOf(x, rows, in)
	p.transpose(t, rows, in)
	blocks := (in + gradBlock - 1) / gradBlock
	lr.ParallelFor(d.Workers, blocks, func(_, b int) {
		for j := b * gradBlock; j < min(in, (b+1)*gradBlock); j++ {
			k0, k1 := t.ptr[j], t.ptr[j+1]
			sparseRows(d.GW[j*out:(j+1)*out], t.idx[k0:k1], t.val[k0:k1], delta, out)
		}
	})
}

// Backward writes the input gradient dx = Wᵀ·delta (rows×In) for rows rows of delta.
// Wide layers take four rows per pass over W, so that each weight row is read from memory
// once per four rows.
func (d *Dense) Backward(dx, delta []float32, rows int) {
	in, out := d.In, d.Out
	if d.narrow() {
		for r := range rows {
			xr := dx[r*in : (r+1)*in]
			clear(xr)
			sparseAxpy(xr, delta[r*out:(r+1)*out], d.wt)
		}
		return
	}
	r := 0
	for ; r+4 <= rows; r += 4 {
		d0, d1, d2, d3 := delta[r*out:(r+1)*out], delta[(r+1)*out:(r+2)*out], delta[(r+2)*out:(r+3)*out], delta[(r+3)*out:(r+4)*out]
		x0, x1, x2, x3 := dx[r*in:(r+1)*in], dx[(r+1)*in:(r+2)*in], dx[(r+2)*in:(r+3)*in], dx[(r+3)*in:(r+4)*in]
		for j := range in {
			x0[j], x1[j], x2[j], x3[j] = dot4(d0, d1, d2, d3, d.W[j*out:(j+1)*out])
		}
	}
	for ; r < rows; r++ {
		dotRows(dx[r*in:(r+1)*in], d.W, delta[r*out:(r+1)*out])
	}
}
