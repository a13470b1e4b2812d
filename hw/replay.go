package hw

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/snnsim/snnsim/hw/proto"
	"github.com/snnsim/snnsim/neuron"
	"github.com/snnsim/snnsim/sim"
)

// ReplayResult is what replaying a recorded board session into the simulator found.
type ReplayResult struct {
	Frames     int   `json:"frames"`      // SPI frames the host accepted (each executed once by the board)
	Retried    int   `json:"retried"`     // SPI transactions the host had to repeat
	Epochs     int   `json:"runs"`        // runs, each started by RESET_STATE
	Ticks      int64 `json:"ticks"`       // ticks the board ran
	Inputs     int   `json:"inputs"`      // input events sent
	Spikes     int   `json:"spikes"`      // output spikes the board reported
	StateWords int   `json:"state_words"` // neuron state words read back and compared
	Registers  int   `json:"registers"`   // PRNG and TICK register reads compared
	Compared   int   `json:"compared"`    // ticks compared (spike sets) plus state words, registers, monitor samples
	Mismatches int   `json:"mismatches"`
	// Details describes the first mismatches.
	Details []string `json:"details,omitempty"`
	// Incomplete is set when the session ends with a frame that was never answered
	// (the host gave up): whether the board executed it is unknown.
	Incomplete bool `json:"incomplete"`
}

// OK reports whether the replay found no mismatch.
func (r *ReplayResult) OK() bool { return r.Mismatches == 0 }

func (r *ReplayResult) mismatch(format string, args ...any) {
	r.Mismatches++
	if len(r.Details) < 10 {
		r.Details = append(r.Details, fmt.Sprintf(format, args...))
	}
}

// ReplayIntoSim replays a recorded session into the fixed-point simulator: it rebuilds
// the board's configuration from the memory and register writes the board
// acknowledged, feeds the simulator the same input events and ticks, and compares what
// the board reported — output spikes of every tick, STATE events, state memory read
// back, PRNG and TICK registers — with the simulator. Frames the host retried count
// once (the board executes a request once and replays its answer).
//
// It supports sessions that configure the board before RESET_STATE and then only send
// inputs, ticks, drains and reads (what Board.Program and Board.Step do); a memory
// write during a run is reported as an error.
func ReplayIntoSim(s *Session) (*ReplayResult, error) {
	return ReplayIntoSimOpts(s, ReplayOptions{})
}

// ReplayOptions bound the work of a replay (for sessions from untrusted sources: a
// single TICK frame may ask for 2²⁴ ticks).
type ReplayOptions struct {
	MaxTicks int64 // most ticks simulated in all (0: no limit)
}

// ReplayIntoSimOpts is [ReplayIntoSim] with limits.
func ReplayIntoSimOpts(s *Session, opt ReplayOptions) (*ReplayResult, error) {
	rp := &replayer{res: &ReplayResult{}, img: NewImage(), regs: map[proto.Reg]uint32{proto.RegSeed: 1}, opt: opt}
	pendingSeq := -1
	for k, op := range s.Ops {
		var err error
		switch op.Bus {
		case BusI2C:
			err = rp.i2c(op)
		case BusSPI:
			var accepted bool
			var seq int
			accepted, seq, err = rp.spi(op)
			if err == nil {
				if seq == pendingSeq && seq >= 0 {
					rp.res.Retried++
				}
				pendingSeq = seq
				if accepted {
					pendingSeq = -1
				}
			}
		}
		if err != nil {
			return rp.res, fmt.Errorf("hw: replay: transaction %d: %w", k, err)
		}
	}
	rp.res.Incomplete = pendingSeq >= 0
	rp.endEpoch()
	return rp.res, nil
}

type replayer struct {
	opt  ReplayOptions
	res  *ReplayResult
	img  *Image
	regs map[proto.Reg]uint32
	// the current run (nil until the first INPUT or TICK after RESET_STATE)
	run     *sim.FixedRun
	running bool // ticks or inputs since RESET_STATE
	// board side of this epoch
	dec      eventDecoder
	dummy    Board
	boardOut []spikeTick
	// simulator side of this epoch
	simOut   []spikeTick
	simState map[int64]neuron.FixedState // monitored neuron after each tick
	monitor  uint32
}

type spikeTick struct {
	tick int64
	id   int32
}

func (rp *replayer) i2c(op BusOp) error {
	if op.Err != "" {
		return nil
	}
	if len(op.R) == 0 {
		reg, vals, err := proto.ParseI2CWrite(op.Addr, op.W)
		if err != nil {
			return nil // the board refused it (NACK) — it was recorded as an error, or corrupted
		}
		return rp.writeRegs(reg, vals)
	}
	vals, err := proto.DecodeI2CRead(op.Addr, op.W, op.R)
	if err != nil {
		return nil // corrupted: the host retried
	}
	reg, _, _ := proto.ParseI2CReadRequest(op.W)
	rp.compareRegs(reg, vals)
	return nil
}

// spi processes one SPI transaction; it reports whether the host accepted the answer.
func (rp *replayer) spi(op BusOp) (bool, int, error) {
	req, _, err := proto.DecodeRequest(op.W)
	if err != nil {
		return false, -1, fmt.Errorf("the host's request does not decode: %w", err)
	}
	off := proto.RespOffset(len(req.Payload))
	if off > len(op.R) {
		return false, int(req.Seq), nil
	}
	resp, _, err := proto.DecodeResponse(op.R[off:])
	if err != nil || resp.Op != req.Op || resp.Seq != req.Seq {
		return false, int(req.Seq), nil
	}
	st := resp.Status
	if st&(proto.StCRCErr|proto.StBusy|proto.StReject) != 0 || st&proto.StAck == 0 {
		return false, int(req.Seq), nil
	}
	rp.res.Frames++
	if err := rp.exec(req, resp); err != nil {
		return true, int(req.Seq), fmt.Errorf("%s seq %d: %w", req.Op, req.Seq, err)
	}
	return true, int(req.Seq), nil
}

func (rp *replayer) writeRegs(r proto.Reg, vals []uint32) error {
	for i, v := range vals {
		reg := r + proto.Reg(i)
		switch reg {
		case proto.RegControl:
			if v&proto.CtlSoftReset != 0 {
				return fmt.Errorf("SOFT_RESET: replay does not model it")
			}
			if v&proto.CtlResetState != 0 {
				rp.resetState()
			}
		case proto.RegNeurons, proto.RegAxons, proto.RegSeed:
			if rp.running {
				return fmt.Errorf("%s written during a run: replay supports configuration before RESET_STATE only", reg)
			}
			rp.regs[reg] = v
		case proto.RegMonitor:
			rp.monitor = v
		}
	}
	return nil
}

func (rp *replayer) exec(req proto.Request, resp proto.Response) error {
	switch req.Op {
	case proto.OpRegWrite:
		r, vals, err := proto.ParseRegWrite(req.Payload)
		if err != nil {
			return err
		}
		return rp.writeRegs(r, vals)
	case proto.OpRegRead:
		r, n, err := proto.ParseRegRead(req.Payload)
		if err != nil {
			return err
		}
		vals, err := proto.ParseRegValues(resp.Data, n)
		if err != nil {
			return err
		}
		rp.compareRegs(r, vals)
	case proto.OpMemWrite:
		addr, data, err := proto.ParseMemWrite(req.Payload)
		if err != nil {
			return err
		}
		if rp.running {
			return fmt.Errorf("memory written at %#x during a run: replay supports configuration before the first tick only", addr)
		}
		if err := rp.img.Write(addr, data); err != nil {
			return err
		}
		rp.run = nil // rebuilt with the new state / configuration
	case proto.OpMemRead:
		addr, n, err := proto.ParseMemRead(req.Payload)
		if err != nil {
			return err
		}
		if len(resp.Data) != n {
			return fmt.Errorf("MEM_READ answered %d bytes for %d", len(resp.Data), n)
		}
		rp.compareMem(addr, resp.Data)
	case proto.OpResetState:
		rp.resetState()
	case proto.OpInput:
		_, ev, err := proto.ParseInput(req.Payload)
		if err != nil {
			return err
		}
		if err := rp.ensureRun(); err != nil {
			return err
		}
		in := make([]sim.FixedInput, len(ev))
		for i, e := range ev {
			in[i] = sim.FixedInput{Axon: int32(e.ID()), Count: e.Count()}
		}
		if err := rp.run.Model().CheckInputs(in); err != nil {
			return err
		}
		rp.run.Input(in)
		rp.res.Inputs += len(in)
		rp.running = true
	case proto.OpTick:
		_, n, err := proto.ParseTick(req.Payload)
		if err != nil {
			return err
		}
		if rp.opt.MaxTicks > 0 && rp.res.Ticks+int64(n) > rp.opt.MaxTicks {
			return fmt.Errorf("more than %d ticks: over the replay limit", rp.opt.MaxTicks)
		}
		if err := rp.ensureRun(); err != nil {
			return err
		}
		rp.running = true
		m := rp.run.Model()
		for range n {
			t := rp.run.Tick()
			for _, i := range rp.run.Step(nil) {
				if m.Params[i].Output {
					rp.simOut = append(rp.simOut, spikeTick{t, i})
				}
			}
			if rp.monitor&proto.MonEnable != 0 {
				if k := int(rp.monitor & 0xFFFF); k < m.NumNeurons() {
					rp.simState[t] = rp.run.State()[k]
				}
			}
		}
		rp.res.Ticks += int64(n)
	}
	if req.Op.ReturnsEvents() {
		ev, err := proto.ParseEvents(resp.Data)
		if err != nil {
			return err
		}
		for _, e := range ev {
			if err := rp.boardEvent(e); err != nil {
				return err
			}
		}
	}
	return nil
}

func (rp *replayer) resetState() {
	rp.endEpoch()
	clear(rp.img.State)
	rp.run = nil
	rp.running = false
	rp.dec = eventDecoder{}
	rp.boardOut, rp.simOut = nil, nil
	rp.simState = map[int64]neuron.FixedState{}
	rp.dummy = Board{}
	rp.res.Epochs++
}

func (rp *replayer) ensureRun() error {
	if rp.run != nil {
		return nil
	}
	rp.img.Neurons = int(rp.regs[proto.RegNeurons])
	rp.img.Axons = int(rp.regs[proto.RegAxons])
	rp.img.Seed = rp.regs[proto.RegSeed]
	m, err := rp.img.Model()
	if err != nil {
		return err
	}
	rp.run = m.NewRun()
	rp.dummy = Board{neurons: m.NumNeurons(), output: make([]bool, m.NumNeurons())}
	for i := range m.Params {
		rp.dummy.output[i] = m.Params[i].Output
	}
	if rp.simState == nil {
		rp.simState = map[int64]neuron.FixedState{}
	}
	return nil
}

func (rp *replayer) boardEvent(e proto.Event) error {
	if rp.run == nil {
		return fmt.Errorf("output event %s before any run", e)
	}
	nb := len(rp.dummy.States)
	nd := len(rp.dec.ids)
	if err := rp.dec.add(e, &rp.dummy); err != nil {
		return fmt.Errorf("event stream: %w", err)
	}
	if len(rp.dec.ids) > nd {
		rp.boardOut = append(rp.boardOut, spikeTick{rp.dec.ticks[nd], rp.dec.ids[nd]})
		rp.res.Spikes++
	}
	if len(rp.dummy.States) > nb {
		s := rp.dummy.States[nb]
		want, ok := rp.simState[s.Tick]
		v := want.I
		if s.Var == proto.VarMembrane {
			v = want.U
		}
		rp.res.Compared++
		if !ok || v != s.Value {
			name := "I"
			if s.Var == proto.VarMembrane {
				name = "u"
			}
			rp.res.mismatch("tick %d: board STATE event %s[%d] = %d, simulator %d", s.Tick, name, s.Neuron, s.Value, v)
		}
	}
	return nil
}

func (rp *replayer) compareRegs(r proto.Reg, vals []uint32) {
	if rp.run == nil || !rp.running {
		return
	}
	for i, v := range vals {
		switch reg := r + proto.Reg(i); reg {
		case proto.RegPRNG:
			rp.res.Registers++
			rp.res.Compared++
			if v != rp.run.PRNG() {
				rp.res.mismatch("tick %d: PRNG register %#08x, simulator %#08x", rp.run.Tick(), v, rp.run.PRNG())
			}
		case proto.RegTick:
			rp.res.Registers++
			rp.res.Compared++
			if int64(v) != rp.run.Tick()&0xFFFFFFFF {
				rp.res.mismatch("TICK register %d, simulator %d", v, rp.run.Tick())
			}
		}
	}
}

func (rp *replayer) compareMem(addr uint32, data []byte) {
	if addr < proto.MemState || int(addr-proto.MemState)+len(data) > proto.SizeState || rp.run == nil {
		return
	}
	st := rp.run.State()
	o := int(addr - proto.MemState)
	for k := 0; k+proto.StateBytes <= len(data); k += proto.StateBytes {
		if (o+k)%proto.StateBytes != 0 {
			continue
		}
		i := (o + k) / proto.StateBytes
		if i >= len(st) {
			break
		}
		got := neuron.FixedState{I: int16(binary.LittleEndian.Uint16(data[k:])), U: int16(binary.LittleEndian.Uint16(data[k+2:]))}
		rp.res.StateWords++
		rp.res.Compared++
		if got != st[i] {
			rp.res.mismatch("tick %d: neuron %d state on the board I=%d u=%d, simulator I=%d u=%d", rp.run.Tick(), i, got.I, got.U, st[i].I, st[i].U)
		}
	}
}

// endEpoch compares the spikes of the ticks the board reported (every tick whose TIME
// event arrived) with the simulator's.
func (rp *replayer) endEpoch() {
	upto := rp.dec.next
	byTick := func(s []spikeTick) map[int64][]int32 {
		m := map[int64][]int32{}
		for _, x := range s {
			if x.tick < upto {
				m[x.tick] = append(m[x.tick], x.id)
			}
		}
		return m
	}
	b, s := byTick(rp.boardOut), byTick(rp.simOut)
	for t := range upto {
		rp.res.Compared++
		if !slices.Equal(b[t], s[t]) {
			rp.res.mismatch("tick %d: board spikes %v, simulator %v", t, b[t], s[t])
		}
	}
}
