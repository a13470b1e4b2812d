package optim

import (
	"fmt"
	"math"
)

// EMA wraps an optimizer with an exponential moving average of the parameters (Polyak
// averaging): after every step of the inner optimizer, a = d·a + (1−d)·θ with
// d = min(Decay, (1+t)/(10+t)) at the t-th update; the average starts at the weights
// after the first step, so that it is not pinned to the initial weights. Noisy gradient estimates (LR with few copies) leave the
// weights jittering around a minimum; the average sits closer to it.
//
// The live weights stay in the parameters while training. [EMA.Swap] exchanges them with
// the average: evaluate or save between two swaps. A checkpoint taken while swapped holds
// the average as the model and the live weights in the optimizer state ([EMA.State]), so
// that a file evaluates as the average and resumes exactly: after SetState, a swapped
// state must be swapped back ([EMA.Swapped]) before the next gradient.
type EMA struct {
	Inner   Optimizer
	Decay   float32
	avg     [][]float32
	count   int64
	swapped bool
}

// emaCountCap bounds the stored number of averages (a float32 holds it exactly); past it
// the warm-up no longer matters.
const emaCountCap = 1 << 24

// NewEMA returns inner with a moving average of decay d (0 < d < 1).
func NewEMA(inner Optimizer, d float32) (*EMA, error) {
	if !(d > 0 && d < 1) {
		return nil, fmt.Errorf("optim: moving-average decay %v, want 0 < d < 1", d)
	}
	return &EMA{Inner: inner, Decay: d}, nil
}

// Name implements Optimizer: the inner name with "+ema".
func (o *EMA) Name() string { return o.Inner.Name() + "+ema" }

// SetLR implements Optimizer.
func (o *EMA) SetLR(lr float32) { o.Inner.SetLR(lr) }

// Swapped reports whether the parameters hold the average (and the optimizer the live
// weights).
func (o *EMA) Swapped() bool { return o.swapped }

// Step implements Optimizer: an inner step, then an update of the average. It panics
// while swapped: the step would move the average.
func (o *EMA) Step(params []Param) {
	if o.swapped {
		panic("optim: EMA.Step while the average is swapped in")
	}
	o.Inner.Step(params)
	if o.avg == nil {
		o.avg = make([][]float32, len(params))
		for i, p := range params {
			o.avg[i] = append([]float32(nil), p.Value...)
		}
	}
	checkShapes("ema", params, o.avg)
	o.count = min(o.count+1, emaCountCap)
	d := float32(math.Min(float64(o.Decay), float64(1+o.count)/float64(10+o.count)))
	parallel(len(params), func(i int) {
		a, w := o.avg[i], params[i].Value
		for j := range a {
			a[j] = d*a[j] + (1-d)*w[j]
		}
	})
}

// Swap exchanges the parameters' values with the average. Before the first step there is
// no average: the parameters are the average, and Swap only flips the flag.
func (o *EMA) Swap(params []Param) {
	if o.avg != nil {
		checkShapes("ema", params, o.avg)
		for i, p := range params {
			a := o.avg[i]
			for j := range a {
				a[j], p.Value[j] = p.Value[j], a[j]
			}
		}
	}
	o.swapped = !o.swapped
}

// State implements Optimizer: the inner buffers, one buffer per parameter (the average,
// or the live weights while swapped), then [parameters, averages taken, swapped].
func (o *EMA) State() State {
	s := o.Inner.State()
	b := append([][]float32(nil), s.Buffers...)
	b = append(b, o.avg...)
	sw := float32(0)
	if o.swapped {
		sw = 1
	}
	b = append(b, []float32{float32(len(o.avg)), float32(o.count), sw})
	return State{Steps: s.Steps, Buffers: b}
}

// SetState implements Optimizer, for a state returned by State. (To start averaging from
// a checkpoint of the inner optimizer alone, give that state to Inner.SetState.)
func (o *EMA) SetState(s State) error {
	n := len(s.Buffers)
	if n == 0 || len(s.Buffers[n-1]) != 3 {
		return fmt.Errorf("optim: ema state has no header (%d buffers)", n)
	}
	meta := s.Buffers[n-1]
	np, cnt := int(meta[0]), meta[1]
	if float32(np) != meta[0] || np < 0 || np > n-1 || !(cnt >= 0 && cnt <= emaCountCap) || (meta[2] != 0 && meta[2] != 1) {
		return fmt.Errorf("optim: ema state header %v is invalid", meta)
	}
	if err := o.Inner.SetState(State{Steps: s.Steps, Buffers: s.Buffers[:n-1-np]}); err != nil {
		return err
	}
	o.avg, o.count, o.swapped = nil, int64(cnt), meta[2] == 1
	if np > 0 {
		o.avg = s.Buffers[n-1-np : n-1]
	}
	return nil
}
