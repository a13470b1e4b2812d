package optim

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// Param is one trainable tensor: its values and the gradient buffer of the same length
// that estimators fill and optimizers read.
type Param struct {
	Name        string
	Shape       []int
	Value, Grad []float32
}

// Optimizer updates parameters from their gradients. Step must be given the same
// parameters, in the same order, at every call; its state is per parameter.
type Optimizer interface {
	// Step applies one update (descent on the gradient) to every parameter.
	Step(params []Param)
	// State returns the optimizer's state (step count and moment buffers) for a checkpoint;
	// the slices alias the optimizer's buffers.
	State() State
	// SetState restores a state returned by State, for resuming; the shapes must match.
	SetState(s State) error
	// Name is the optimizer's name: sgd or adam.
	Name() string
	// SetLR changes the learning rate (for schedules).
	SetLR(lr float32)
}

// State is an optimizer's resumable state: the number of steps taken and its moment
// buffers (one per parameter and moment, in parameter order).
type State struct {
	Steps   int64
	Buffers [][]float32
}

// SGD is stochastic gradient descent with (heavy-ball) momentum and optional L2 weight
// decay: v ← μ·v + g + λ·θ; θ ← θ − η·v.
type SGD struct {
	LR, Momentum, WeightDecay float32
	steps                     int64
	vel                       [][]float32
}

// NewSGD returns SGD with learning rate lr and momentum mu (0 for plain SGD).
func NewSGD(lr, mu float32) *SGD { return &SGD{LR: lr, Momentum: mu} }

// Name implements Optimizer.
func (*SGD) Name() string { return "sgd" }

// SetLR implements Optimizer.
func (o *SGD) SetLR(lr float32) { o.LR = lr }

// Step implements Optimizer.
func (o *SGD) Step(params []Param) {
	if o.vel == nil {
		o.vel = make([][]float32, len(params))
		for i, p := range params {
			o.vel[i] = make([]float32, len(p.Value))
		}
	}
	checkShapes("sgd", params, o.vel)
	o.steps++
	for i, p := range params {
		v, g, w := o.vel[i], p.Grad[:len(p.Value)], p.Value
		for j := range w {
			gj := g[j] + o.WeightDecay*w[j]
			v[j] = o.Momentum*v[j] + gj
			w[j] -= o.LR * v[j]
		}
	}
}

// State implements Optimizer.
func (o *SGD) State() State { return State{Steps: o.steps, Buffers: o.vel} }

// SetState implements Optimizer.
func (o *SGD) SetState(s State) error {
	o.steps, o.vel = s.Steps, s.Buffers
	return nil
}

// Adam is the Adam optimizer (Kingma & Ba) with bias correction.
type Adam struct {
	LR, Beta1, Beta2, Eps float32
	steps                 int64
	m, v                  [][]float32
}

// NewAdam returns Adam with learning rate lr and the usual β1 = 0.9, β2 = 0.999, ε = 1e-8.
func NewAdam(lr float32) *Adam { return &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8} }

// Name implements Optimizer.
func (*Adam) Name() string { return "adam" }

// SetLR implements Optimizer.
func (o *Adam) SetLR(lr float32) { o.LR = lr }

// Step implements Optimizer.
func (o *Adam) Step(params []Param) {
	if o.m == nil {
		o.m = make([][]float32, len(params))
		o.v = make([][]float32, len(params))
		for i, p := range params {
			o.m[i] = make([]float32, len(p.Value))
			o.v[i] = make([]float32, len(p.Value))
		}
	}
	checkShapes("adam", params, o.m)
	o.steps++
	b1, b2 := o.Beta1, o.Beta2
	c1 := 1 - math.Pow(float64(b1), float64(o.steps))
	c2 := 1 - math.Pow(float64(b2), float64(o.steps))
	// θ ← θ − η·m/(1−β1ᵗ) / (sqrt(v/(1−β2ᵗ)) + ε), folded into one step size.
	step := float32(float64(o.LR) * math.Sqrt(c2) / c1)
	eps := float32(float64(o.Eps) * math.Sqrt(c2))
	// Elementwise, so fixed chunks on both cores give the same result as one pass.
	type chunk struct{ i, lo, hi int }
	var chunks []chunk
	for i, p := range params {
		for lo := 0; lo < len(p.Value); lo += adamChunk {
			chunks = append(chunks, chunk{i, lo, min(len(p.Value), lo+adamChunk)})
		}
	}
	parallel(len(chunks), func(k int) {
		c := chunks[k]
		p := params[c.i]
		adamUpdate(p.Value[c.lo:c.hi], p.Grad[c.lo:c.hi], o.m[c.i][c.lo:c.hi], o.v[c.i][c.lo:c.hi], b1, b2, step, eps)
	})
}

// adamChunk is the number of values per parallel task of an Adam step.
const adamChunk = 1 << 14

// adamUpdate is the Adam kernel: adamUpdateGeneric, or in builds with GOEXPERIMENT=simd on
// amd64 an AVX version with the same operations in the same order (no FMA), hence the
// same bits.
var adamUpdate = adamUpdateGeneric

// adamUpdateGeneric is one Adam update of w from g with moments m, v.
func adamUpdateGeneric(w, g, m, v []float32, b1, b2, step, eps float32) {
	g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
	for j := range w {
		gj := g[j]
		mj := b1*m[j] + (1-b1)*gj
		vj := b2*v[j] + (1-b2)*gj*gj
		m[j], v[j] = mj, vj
		w[j] -= step * mj / (float32(math.Sqrt(float64(vj))) + eps)
	}
}

// parallel runs fn(0..n-1) on GOMAXPROCS goroutines; fn(k) must write outputs of its own.
func parallel(n int, fn func(k int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for k := range n {
			fn(k)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				k := int(next.Add(1)) - 1
				if k >= n {
					return
				}
				fn(k)
			}
		})
	}
	wg.Wait()
}

// State implements Optimizer: buffers are m then v for each parameter, interleaved
// (m₀, v₀, m₁, v₁, ...).
func (o *Adam) State() State {
	var b [][]float32
	for i := range o.m {
		b = append(b, o.m[i], o.v[i])
	}
	return State{Steps: o.steps, Buffers: b}
}

// SetState implements Optimizer.
func (o *Adam) SetState(s State) error {
	if len(s.Buffers)%2 != 0 {
		return fmt.Errorf("optim: adam state has %d buffers, want an even number", len(s.Buffers))
	}
	o.steps = s.Steps
	o.m, o.v = nil, nil
	for i := 0; i < len(s.Buffers); i += 2 {
		if len(s.Buffers[i]) != len(s.Buffers[i+1]) {
			return fmt.Errorf("optim: adam state buffers %d and %d differ in length", i, i+1)
		}
		o.m = append(o.m, s.Buffers[i])
		o.v = append(o.v, s.Buffers[i+1])
	}
	return nil
}

// New returns the optimizer called name (sgd or adam) with learning rate lr; SGD gets
// momentum 0.9.
func New(name string, lr float32) (Optimizer, error) {
	switch name {
	case "sgd":
		return NewSGD(lr, 0.9), nil
	case "adam":
		return NewAdam(lr), nil
	}
	return nil, fmt.Errorf("optim: unknown optimizer %q (want sgd or adam)", name)
}

func checkShapes(name string, params []Param, bufs [][]float32) {
	if len(params) != len(bufs) {
		panic(fmt.Sprintf("optim: %s: %d parameters, state has %d", name, len(params), len(bufs)))
	}
	for i, p := range params {
		if len(p.Value) != len(bufs[i]) || len(p.Grad) < len(p.Value) {
			panic(fmt.Sprintf("optim: %s: parameter %d (%s) has %d values and %d gradients, state %d",
				name, i, p.Name, len(p.Value), len(p.Grad), len(bufs[i])))
		}
	}
}

// Layout returns the lengths of the state buffers of the optimizer called name (as its
// State gives them) for parameters of the given sizes: one buffer per parameter for sgd,
// two (m, v interleaved) for adam, and for a name ending in "+ema" the inner layout, one
// average per parameter and a header of 3. Model-file decoders check a checkpoint's
// optimizer state against it.
func Layout(name string, sizes []int) ([]int, error) {
	var out []int
	switch {
	case name == "sgd":
		out = append(out, sizes...)
	case name == "adam":
		for _, n := range sizes {
			out = append(out, n, n)
		}
	case strings.HasSuffix(name, "+ema") && !strings.HasSuffix(strings.TrimSuffix(name, "+ema"), "+ema"):
		in, err := Layout(strings.TrimSuffix(name, "+ema"), sizes)
		if err != nil {
			return nil, err
		}
		out = append(append(in, sizes...), 3)
	default:
		return nil, fmt.Errorf("optim: unknown optimizer %q", name)
	}
	return out, nil
}
