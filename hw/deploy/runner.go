package deploy

import (
	"context"
	"fmt"
	"slices"

	"github.com/snnsim/snnsim/hw"
	"github.com/snnsim/snnsim/hw/proto"
	"github.com/snnsim/snnsim/neuron"
	"github.com/snnsim/snnsim/sim"
)

// Runner runs a fixed-point model for one sample: a board, or the fixed-point simulator
// (the board's bit-exact mirror).
type Runner interface {
	// Program loads a whole model (configuration, tables, weights).
	Program(ctx context.Context, m *sim.FixedModel) error
	// WriteWeights loads new weights and shifts into the programmed model (same
	// layout, same synapses).
	WriteWeights(ctx context.Context, m *sim.FixedModel) error
	// WriteParams loads new neuron parameter words (e.g. which neurons fire
	// stochastically) into the programmed model.
	WriteParams(ctx context.Context, m *sim.FixedModel) error
	// Run resets the state, seeds the generator with seed and runs len(in) ticks, in[t]
	// being the input events of tick t. It returns the output spikes of every tick,
	// reusing out.
	Run(ctx context.Context, seed uint32, in [][]sim.FixedInput, out [][]int32) ([][]int32, error)
}

// SimRunner runs a model in the fixed-point simulator (sim.FixedRun).
type SimRunner struct {
	m   sim.FixedModel
	run *sim.FixedRun
}

// Program copies m: the weights and neuron parameters of the copy are its own, so that
// the caller's later changes reach it only through WriteWeights and WriteParams, as on a
// board. (Connectivity and groups are shared: they never change after Program.)
func (s *SimRunner) Program(_ context.Context, m *sim.FixedModel) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("deploy: %w", err)
	}
	s.m = *m
	s.m.W = slices.Clone(m.W)
	s.m.Params = slices.Clone(m.Params)
	s.run = s.m.NewRun()
	return nil
}

// WriteWeights copies m's weights and shifts.
func (s *SimRunner) WriteWeights(_ context.Context, m *sim.FixedModel) error {
	if s.run == nil || len(m.W) != len(s.m.W) {
		return fmt.Errorf("deploy: write weights: %d weights into a model of %d", len(m.W), len(s.m.W))
	}
	copy(s.m.W, m.W)
	s.m.Shift = m.Shift
	return nil
}

// WriteParams copies m's parameter words.
func (s *SimRunner) WriteParams(_ context.Context, m *sim.FixedModel) error {
	if s.run == nil || len(m.Params) != len(s.m.Params) {
		return fmt.Errorf("deploy: write params: %d neurons into a model of %d", len(m.Params), len(s.m.Params))
	}
	s.m.Params = slices.Clone(m.Params)
	s.run = s.m.NewRun()
	return nil
}

// Run runs the ticks; only output neurons are reported.
func (s *SimRunner) Run(_ context.Context, seed uint32, in [][]sim.FixedInput, out [][]int32) ([][]int32, error) {
	if s.run == nil {
		return nil, fmt.Errorf("deploy: run before program")
	}
	s.m.Seed = seed
	s.run.Reset()
	out = grow(out, len(in))
	for t, ev := range in {
		out[t] = out[t][:0]
		for _, i := range s.run.Step(ev) {
			if s.m.Params[i].Output {
				out[t] = append(out[t], i)
			}
		}
	}
	return out, nil
}

// FixedRun returns the simulator's run (after Run: its state, generator and the table
// entries of the last tick).
func (s *SimRunner) FixedRun() *sim.FixedRun { return s.run }

func grow(out [][]int32, n int) [][]int32 {
	for len(out) < n {
		out = append(out, nil)
	}
	return out[:n]
}

// BoardRunner runs a model on a board through the driver.
type BoardRunner struct {
	B *hw.Board
	m *sim.FixedModel
	// Verify makes Program read every written memory back and compare it.
	Verify bool
	// BytesWritten counts the bytes written by WriteWeights and WriteParams.
	BytesWritten int64
}

// Program writes the model (hw.Board.Program: bursts ≤ 256 bytes) and, with Verify,
// reads it back.
func (r *BoardRunner) Program(ctx context.Context, m *sim.FixedModel) error {
	if err := r.B.Program(ctx, m); err != nil {
		return err
	}
	r.m = m
	if r.Verify {
		return VerifyImage(ctx, r.B, m)
	}
	return nil
}

// VerifyImage reads back every block hw.Board.Program writes (and the NEURONS, AXONS
// and SEED registers) and compares it with the model's image.
func VerifyImage(ctx context.Context, b *hw.Board, m *sim.FixedModel) error {
	img := hw.ImageOf(m)
	for _, blk := range img.Blocks() {
		got, err := b.ReadMem(ctx, blk.Addr, len(blk.Data))
		if err != nil {
			return fmt.Errorf("deploy: read back %s: %w", blk.Name, err)
		}
		if k := firstDiff(got, blk.Data); k >= 0 {
			return fmt.Errorf("deploy: read back %s: byte %d at %#x is %#02x, wrote %#02x", blk.Name, k, blk.Addr+uint32(k), got[k], blk.Data[k])
		}
	}
	v, err := b.ReadRegs(ctx, proto.RegNeurons, 3)
	if err != nil {
		return fmt.Errorf("deploy: read back registers: %w", err)
	}
	if want := []uint32{uint32(m.NumNeurons()), uint32(m.NumAxons()), m.Seed}; !slices.Equal(v, want) {
		return fmt.Errorf("deploy: read back NEURONS, AXONS, SEED = %v, wrote %v", v, want)
	}
	return nil
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

// WriteWeights writes, for every source row, the span of its targets' weights (one
// burst per row), then the shift table.
func (r *BoardRunner) WriteWeights(ctx context.Context, m *sim.FixedModel) error {
	if r.m == nil {
		return fmt.Errorf("deploy: write weights before program")
	}
	a := m.NumAxons()
	buf := make([]byte, 0, proto.MaxNeurons)
	for src := range a + m.NumNeurons() {
		cols, ws := m.Row(src)
		if len(cols) == 0 {
			continue
		}
		lo, hi := int(cols[0]), int(cols[len(cols)-1])+1
		buf = buf[:hi-lo]
		clear(buf)
		for k, c := range cols {
			buf[int(c)-lo] = byte(ws[k])
		}
		row := src
		if src >= a {
			row = proto.NeuronRow(src - a)
		}
		if err := r.B.WriteMem(ctx, proto.WeightAddr(row, lo), buf); err != nil {
			return fmt.Errorf("deploy: write weights: %w", err)
		}
		r.BytesWritten += int64(len(buf))
	}
	sh := make([]byte, 0, proto.SizeShift)
	for g := range neuron.FixedGroups {
		for d := range neuron.FixedGroups {
			sh = append(sh, m.Shift[g][d])
		}
	}
	if err := r.B.WriteMem(ctx, proto.MemShift, sh); err != nil {
		return fmt.Errorf("deploy: write shifts: %w", err)
	}
	r.BytesWritten += int64(len(sh))
	return nil
}

// WriteParams writes the parameter words of every neuron (one burst of 8 bytes per
// neuron).
func (r *BoardRunner) WriteParams(ctx context.Context, m *sim.FixedModel) error {
	if r.m == nil {
		return fmt.Errorf("deploy: write params before program")
	}
	buf := make([]byte, 0, len(m.Params)*proto.ParamBytes)
	for _, p := range m.Params {
		w := proto.EncodeParams(p)
		buf = append(buf, w[:]...)
	}
	if err := r.B.WriteMem(ctx, proto.MemParams, buf); err != nil {
		return fmt.Errorf("deploy: write params: %w", err)
	}
	r.BytesWritten += int64(len(buf))
	return nil
}

// Run seeds the generator (SEED), sends RESET_STATE and steps the board tick by tick:
// the tick's input events in INPUT frames, TICK 1, DRAIN until empty.
func (r *BoardRunner) Run(ctx context.Context, seed uint32, in [][]sim.FixedInput, out [][]int32) ([][]int32, error) {
	if err := r.B.WriteRegs(ctx, proto.RegSeed, seed); err != nil {
		return nil, err
	}
	if err := r.B.ResetState(ctx); err != nil {
		return nil, err
	}
	out = grow(out, len(in))
	for t, ev := range in {
		got, err := r.B.Step(ctx, ev)
		if err != nil {
			return nil, err
		}
		out[t] = append(out[t][:0], got...)
	}
	return out, nil
}
