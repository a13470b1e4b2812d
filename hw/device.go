package hw

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/i2c"

	"github.com/snnsim/snnsim/hw/proto"
	"github.com/snnsim/snnsim/neuron"
	"github.com/snnsim/snnsim/sim"
)

// Info is what a board says about itself.
type Info struct {
	ID, Version uint32
	MaxNeurons  int
	MaxAxons    int
	Groups      int
	LUTEntries  int
	FIFODepth   int
	MaxTx       int // the board's limit (the link may use less)
	Features    uint32
	I2CAddr     uint16
}

// VersionString formats the protocol version.
func (i Info) VersionString() string {
	return fmt.Sprintf("%d.%d.%d", i.Version>>16, i.Version>>8&0xFF, i.Version&0xFF)
}

// Board is a connection to an snnsim board (real, emulated or played back): frames
// over SPI, registers over I2C when a bus is given (else over SPI). A Board is used by
// one goroutine.
type Board struct {
	link    *Link
	i2c     *i2c.Dev
	opt     Options
	info    Info
	closers []io.Closer
	name    string

	// programmed model
	neurons, axons int
	output         []bool
	dec            eventDecoder
	// States are the STATE events received (monitor), in order.
	States []StateSample
}

// StateSample is one monitored state value.
type StateSample struct {
	Tick   int64
	Neuron int
	Var    int // proto.VarCurrent or proto.VarMembrane
	Value  int16
}

// New connects to a board over an SPI connection c (mode 0; real, emulated or a
// playback) and, when dev is not nil, its I2C register mirror. It reads the board's
// identity with an idempotent sequence-0 request and continues the sequence numbers
// after the board's LAST_SEQ, so that a new session is never mistaken for a retry of
// the previous one.
func New(ctx context.Context, c conn.Conn, dev *i2c.Dev, opt Options) (*Board, error) {
	l, err := NewLink(c, opt)
	if err != nil {
		return nil, err
	}
	b := &Board{link: l, i2c: dev, opt: l.opt, name: c.String()}
	resp, err := l.do(ctx, proto.OpRegRead, proto.AppendRegRead(nil, proto.RegID, 6), 24, "ID … FEATURES", true)
	if err != nil {
		return nil, fmt.Errorf("hw: %s: identify: %w", b.name, err)
	}
	v, _ := proto.ParseRegValues(resp.Data, 6)
	if v[0] != proto.BoardID {
		return nil, fmt.Errorf("hw: %s: ID register reads %#08x, want %#08x: %w", b.name, v[0], proto.BoardID, ErrNotBoard)
	}
	if v[1]>>16 != proto.Version>>16 {
		return nil, fmt.Errorf("hw: %s: protocol version %d.%d, this driver speaks %s: %w", b.name, v[1]>>16, v[1]>>8&0xFF, proto.VersionS, ErrNotBoard)
	}
	b.info = Info{ID: v[0], Version: v[1], MaxNeurons: int(v[2] & 0xFFFF), MaxAxons: int(v[2] >> 16),
		Groups: int(v[3] & 0xFF), LUTEntries: 1 << (v[3] >> 8 & 0xFF), FIFODepth: int(v[3] >> 16),
		MaxTx: int(v[4]), Features: v[5]}
	if b.info.MaxNeurons > proto.MaxNeurons || b.info.MaxAxons > proto.MaxAxons || b.info.MaxTx < 64 {
		return nil, fmt.Errorf("hw: %s: capabilities out of range for version 1 (CAPS %#08x, MAX_TX %d): %w", b.name, v[2], v[4], ErrNotBoard)
	}
	l.maxTx = min(l.maxTx, b.info.MaxTx)
	resp, err = l.do(ctx, proto.OpRegRead, proto.AppendRegRead(nil, proto.RegLastSeq, 3), 12, "LAST_SEQ … I2C_ADDR", true)
	if err != nil {
		return nil, fmt.Errorf("hw: %s: identify: %w", b.name, err)
	}
	v, _ = proto.ParseRegValues(resp.Data, 3)
	l.seq = uint8(v[0])
	b.info.I2CAddr = uint16(v[2])
	if dev != nil && dev.Addr != b.info.I2CAddr {
		return nil, fmt.Errorf("hw: %s: the board's register mirror is at I2C address %#x, not %#x", b.name, b.info.I2CAddr, dev.Addr)
	}
	return b, nil
}

// Close closes the buses the board was opened on.
func (b *Board) Close() error {
	var errs []error
	for _, c := range b.closers {
		errs = append(errs, c.Close())
	}
	b.closers = nil
	return errors.Join(errs...)
}

// Info returns what the board said about itself when connected.
func (b *Board) Info() Info { return b.info }

// Link returns the SPI link (for its statistics).
func (b *Board) Link() *Link { return b.link }

// String names the board's connection.
func (b *Board) String() string { return b.name }

func (b *Board) bus() string {
	if b.i2c != nil {
		return "i2c"
	}
	return "spi"
}

// ReadRegs reads n consecutive registers from r. Over I2C, where the board's refusal
// (a NACK) looks like a bus fault, unmapped registers are refused before anything is
// sent; over SPI the board answers REJECT.
func (b *Board) ReadRegs(ctx context.Context, r proto.Reg, n int) ([]uint32, error) {
	if b.i2c != nil {
		for i := range n {
			if _, ok := (r + proto.Reg(i)).Info(); !ok {
				return nil, &RegError{Reg: r + proto.Reg(i), Bus: "i2c", Err: fmt.Errorf("%w: unmapped register", ErrRejected)}
			}
		}
	}
	var out []uint32
	for n > 0 {
		k := min(n, proto.MaxRegCount)
		var vals []uint32
		var err error
		if b.i2c != nil {
			k = min(k, proto.I2CMaxCount)
			vals, err = b.i2cRead(ctx, r, k)
		} else {
			var resp proto.Response
			resp, err = b.link.Do(ctx, proto.OpRegRead, proto.AppendRegRead(nil, r, k), 4*k, r.String())
			if err == nil {
				vals, err = proto.ParseRegValues(resp.Data, k)
			}
		}
		if err != nil {
			return nil, &RegError{Reg: r, Bus: b.bus(), Err: err}
		}
		out = append(out, vals...)
		r += proto.Reg(k)
		n -= k
	}
	return out, nil
}

// ReadReg reads one register.
func (b *Board) ReadReg(ctx context.Context, r proto.Reg) (uint32, error) {
	v, err := b.ReadRegs(ctx, r, 1)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// WriteRegs writes consecutive registers from r. Writes to read-only or unmapped
// registers are refused before anything is sent.
func (b *Board) WriteRegs(ctx context.Context, r proto.Reg, vals ...uint32) error {
	for i := range vals {
		ri, ok := (r + proto.Reg(i)).Info()
		if !ok || ri.Access == proto.RO {
			return &RegError{Reg: r + proto.Reg(i), Write: true, Bus: b.bus(), Err: fmt.Errorf("%w: read-only or unmapped register", ErrRejected)}
		}
	}
	for len(vals) > 0 {
		k := min(len(vals), proto.MaxRegCount)
		var err error
		if b.i2c != nil {
			k = min(k, proto.I2CMaxCount)
			err = b.i2cWrite(ctx, r, vals[:k])
		} else {
			_, err = b.link.Do(ctx, proto.OpRegWrite, proto.AppendRegWrite(nil, r, vals[:k]), 0, r.String())
		}
		if err != nil {
			return &RegError{Reg: r, Write: true, Bus: b.bus(), Err: err}
		}
		r += proto.Reg(k)
		vals = vals[k:]
	}
	return nil
}

// i2cAccess runs one I2C transaction with retries, backoff and the deadline.
func (b *Board) i2cAccess(ctx context.Context, f func() error) error {
	start := b.opt.Clock.Now()
	delay := b.opt.Backoff
	var last error
	for attempt := 1; attempt <= b.opt.Attempts; attempt++ {
		if attempt > 1 {
			if b.opt.Clock.Now().Add(delay).Sub(start) > b.opt.Timeout {
				break
			}
			if err := sleep(ctx, b.opt.Clock, delay); err != nil {
				return err
			}
			delay = min(2*delay, b.opt.MaxBackoff)
		}
		b.link.stats.I2C++
		if last = f(); last == nil {
			return nil
		}
		b.link.stats.I2CErrors++
	}
	return fmt.Errorf("%w after %d attempts: %w", ErrTimeout, b.opt.Attempts, last)
}

func (b *Board) i2cRead(ctx context.Context, r proto.Reg, n int) ([]uint32, error) {
	w := proto.I2CReadRequest(r, n)
	rb := make([]byte, proto.I2CReadLen(n))
	var vals []uint32
	err := b.i2cAccess(ctx, func() error {
		if err := b.i2c.Tx(w, rb); err != nil {
			return err
		}
		var err error
		vals, err = proto.DecodeI2CRead(b.i2c.Addr, w, rb)
		return err
	})
	return vals, err
}

func (b *Board) i2cWrite(ctx context.Context, r proto.Reg, vals []uint32) error {
	w := proto.I2CWrite(b.i2c.Addr, r, vals)
	return b.i2cAccess(ctx, func() error { return b.i2c.Tx(w, nil) })
}

// ReadMem reads n bytes of board memory from addr (split into bursts).
func (b *Board) ReadMem(ctx context.Context, addr uint32, n int) ([]byte, error) {
	if _, ok := proto.RegionOf(addr, n); !ok {
		return nil, fmt.Errorf("hw: read of %d bytes at %#x: not inside one memory region", n, addr)
	}
	out := make([]byte, 0, n)
	chunk := min(proto.MaxMemRead, b.link.maxTx-proto.TxLen(6, 0), b.opt.Burst)
	for len(out) < n {
		k := min(n-len(out), chunk)
		a := addr + uint32(len(out))
		resp, err := b.link.Do(ctx, proto.OpMemRead, proto.AppendMemRead(nil, a, k), k, fmt.Sprintf("%d bytes at %#x", k, a))
		if err != nil {
			return nil, err
		}
		out = append(out, resp.Data...)
	}
	return out, nil
}

// WriteMem writes data to board memory at addr (split into bursts).
func (b *Board) WriteMem(ctx context.Context, addr uint32, data []byte) error {
	if _, ok := proto.RegionOf(addr, len(data)); !ok {
		return fmt.Errorf("hw: write of %d bytes at %#x: not inside one memory region", len(data), addr)
	}
	chunk := min(proto.MaxMemWrite, b.link.maxTx-proto.TxLen(4, 0), b.opt.Burst)
	var p []byte
	for o := 0; o < len(data); o += chunk {
		k := min(len(data)-o, chunk)
		a := addr + uint32(o)
		p = proto.AppendMemWrite(p[:0], a, data[o:o+k])
		if _, err := b.link.Do(ctx, proto.OpMemWrite, p, 0, fmt.Sprintf("%d bytes at %#x", k, a)); err != nil {
			return err
		}
	}
	return nil
}

// ResetState sends RESET_STATE: neuron state, accumulators, FIFO and tick cleared, PRNG
// reseeded.
func (b *Board) ResetState(ctx context.Context) error {
	if _, err := b.link.Do(ctx, proto.OpResetState, nil, 0, ""); err != nil {
		return err
	}
	b.dec = eventDecoder{}
	b.link.events = nil
	b.States = nil
	return nil
}

// Nop sends NOP and returns the status word.
func (b *Board) Nop(ctx context.Context) (proto.Status, error) {
	resp, err := b.link.Do(ctx, proto.OpNop, nil, 0, "")
	return resp.Status, err
}

// Program writes a fixed-point model into the board: it clears the sticky RESET and
// OVERFLOW flags, writes weights, parameters, tables, shifts and axon groups, sets
// NEURONS, AXONS and SEED, sends RESET_STATE and writes the initial state. From then on
// a board reset fails every frame with ErrBoardReset.
func (b *Board) Program(ctx context.Context, m *sim.FixedModel) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("hw: program: %w", err)
	}
	n, a := m.NumNeurons(), m.NumAxons()
	if n > b.info.MaxNeurons || a > b.info.MaxAxons {
		return fmt.Errorf("hw: program: %d neurons and %d axons; the board has %d and %d", n, a, b.info.MaxNeurons, b.info.MaxAxons)
	}
	b.link.fatal = 0
	if err := b.WriteRegs(ctx, proto.RegStatus, uint32(proto.StReset|proto.StOverflow)); err != nil {
		return err
	}
	if err := b.WriteRegs(ctx, proto.RegNeurons, 0, 0); err != nil {
		return err
	}
	img := ImageOf(m)
	for _, blk := range img.Blocks() {
		if err := b.WriteMem(ctx, blk.Addr, blk.Data); err != nil {
			return fmt.Errorf("hw: program %s: %w", blk.Name, err)
		}
	}
	if err := b.WriteRegs(ctx, proto.RegNeurons, uint32(n), uint32(a), m.Seed); err != nil {
		return err
	}
	if err := b.WriteRegs(ctx, proto.RegMonitor, 0); err != nil {
		return err
	}
	if err := b.ResetState(ctx); err != nil {
		return err
	}
	if m.Init != nil {
		st := make([]byte, 0, n*proto.StateBytes)
		for _, s := range m.Init {
			w := proto.EncodeState(s)
			st = append(st, w[:]...)
		}
		if err := b.WriteMem(ctx, proto.MemState, st); err != nil {
			return fmt.Errorf("hw: program initial state: %w", err)
		}
	}
	b.link.fatal = proto.StOverflow | proto.StReset
	b.neurons, b.axons = n, a
	b.output = make([]bool, n)
	for i, p := range m.Params {
		b.output[i] = p.Output
	}
	return nil
}

// Monitor makes the board send a STATE event of neuron's current (membrane when
// membrane is true) after every tick; a negative neuron turns it off.
func (b *Board) Monitor(ctx context.Context, neuron int, membrane bool) error {
	v := uint32(0)
	if neuron >= 0 {
		v = proto.MonEnable | uint32(neuron)
		if membrane {
			v |= proto.MonMembrane
		}
	}
	return b.WriteRegs(ctx, proto.RegMonitor, v)
}

// Input sends input events (they act at the next tick).
func (b *Board) Input(ctx context.Context, in []sim.FixedInput) error {
	ev := make([]proto.Event, 0, len(in))
	for _, e := range in {
		if e.Axon < 0 || int(e.Axon) >= b.axons || e.Count == 0 {
			return fmt.Errorf("hw: input event axon %d count %d: out of range (%d axons)", e.Axon, e.Count, b.axons)
		}
		ev = append(ev, proto.Spike(0, e.Count, uint16(e.Axon)))
	}
	// Each INPUT frame leaves room for the events queued on the board.
	var p []byte
	for len(ev) > 0 {
		room := min(b.link.status.Level(), b.opt.EventRoom)
		k := min(len(ev), (b.link.maxTx-proto.TxLen(2, proto.EventBytes*room))/proto.EventBytes)
		p = proto.AppendInput(p[:0], room, ev[:k])
		if _, err := b.link.Do(ctx, proto.OpInput, p, -1, fmt.Sprintf("%d events at tick %d", k, b.dec.next)); err != nil {
			return err
		}
		ev = ev[k:]
	}
	return nil
}

// Tick runs n ticks and fetches every output event (TICK, then DRAIN until the FIFO is
// empty). The caller keeps n small enough for the FIFO: (neurons + 2)·n events at most.
func (b *Board) Tick(ctx context.Context, n int) error {
	room := min(b.opt.EventRoom, b.link.EventRoom(6))
	if _, err := b.link.Do(ctx, proto.OpTick, proto.AppendTick(nil, room, uint32(n)), -1, fmt.Sprintf("%d ticks from tick %d", n, b.dec.next)); err != nil {
		return err
	}
	return b.Drain(ctx)
}

// Drain fetches queued output events until the board reports an empty FIFO.
func (b *Board) Drain(ctx context.Context) error {
	for b.link.status.Level() > 0 {
		room := min(b.link.status.Level(), b.link.EventRoom(2))
		resp, err := b.link.Do(ctx, proto.OpDrain, proto.AppendDrain(nil, room), -1, fmt.Sprintf("%d events", room))
		if err != nil {
			return err
		}
		if len(resp.Data) == 0 && resp.Status&proto.StReplay == 0 {
			return fmt.Errorf("hw: %s: %w: DRAIN returned no event with %d queued", b.name, ErrProtocol, resp.Status.Level())
		}
	}
	return b.decode()
}

func (b *Board) decode() error {
	for _, e := range b.link.TakeEvents() {
		if err := b.dec.add(e, b); err != nil {
			return fmt.Errorf("hw: %s: event stream: %w", b.name, err)
		}
	}
	return nil
}

// TakeSpikes returns the output spikes received so far (neuron index and tick) and
// forgets them.
func (b *Board) TakeSpikes() *sim.SpikeRecord {
	r := &sim.SpikeRecord{IDs: b.dec.ids, Ticks: b.dec.ticks}
	b.dec.ids, b.dec.ticks = nil, nil
	return r
}

// Step sends the tick's input events, runs one tick and returns the spikes of the
// output neurons in that tick (ascending).
func (b *Board) Step(ctx context.Context, in []sim.FixedInput) ([]int32, error) {
	if err := b.Input(ctx, in); err != nil {
		return nil, err
	}
	t := b.dec.next
	if err := b.Tick(ctx, 1); err != nil {
		return nil, err
	}
	if b.dec.next != t+1 {
		return nil, fmt.Errorf("hw: %s: tick %d: %w: no TIME event for it", b.name, t, ErrProtocol)
	}
	rec := b.TakeSpikes()
	return rec.IDs, nil
}

// ReadState reads the state of every programmed neuron into dst (len ≥ neurons).
func (b *Board) ReadState(ctx context.Context, dst []neuron.FixedState) error {
	raw, err := b.ReadMem(ctx, proto.MemState, b.neurons*proto.StateBytes)
	if err != nil {
		return err
	}
	return proto.DecodeStates(dst[:b.neurons], raw)
}

// Check reads STATUS and returns an error if the board reset itself or lost events.
func (b *Board) Check(ctx context.Context) error {
	st, err := b.Nop(ctx)
	if err != nil {
		return err
	}
	if st&proto.StOverflow != 0 {
		return fmt.Errorf("hw: %s: %w", b.name, ErrOverflow)
	}
	return nil
}

// eventDecoder turns the board's event stream into spikes with absolute ticks: every
// tick starts with its TIME event, which must be the next tick exactly.
type eventDecoder struct {
	next  int64 // tick whose TIME event is due
	cur   int64 // tick of the events being read; -1 before the first TIME
	seen  bool
	ids   []int32
	ticks []int64
}

func (d *eventDecoder) add(e proto.Event, b *Board) error {
	switch e.Kind() {
	case proto.KindTime:
		if int64(e.Tick()) != d.next&proto.TickMask {
			return fmt.Errorf("%w: TIME(%d) where TIME(%d) was due: events lost or out of order", ErrProtocol, e.Tick(), d.next&proto.TickMask)
		}
		d.cur, d.seen = d.next, true
		d.next++
	case proto.KindSpike:
		if !d.seen {
			return fmt.Errorf("%w: %s before any TIME event", ErrProtocol, e)
		}
		id := int(e.ID())
		if e.Port() != 0 || e.Count() != 1 || id >= b.neurons || !b.output[id] {
			return fmt.Errorf("%w: %s at tick %d: not an output neuron", ErrProtocol, e, d.cur)
		}
		if n := len(d.ids); n > 0 && d.ticks[n-1] == d.cur && d.ids[n-1] >= int32(id) {
			return fmt.Errorf("%w: %s at tick %d: spikes out of order", ErrProtocol, e, d.cur)
		}
		d.ids = append(d.ids, int32(id))
		d.ticks = append(d.ticks, d.cur)
	case proto.KindState:
		if !d.seen {
			return fmt.Errorf("%w: %s before any TIME event", ErrProtocol, e)
		}
		b.States = append(b.States, StateSample{Tick: d.cur, Neuron: e.Neuron(), Var: e.Var(), Value: e.Value()})
	}
	return nil
}

// describe formats an Info for humans.
func (i Info) describe() string {
	var f []string
	for k, n := range []string{"stochastic", "monitor", "i2c", "free-run"} {
		if i.Features&(1<<k) != 0 {
			f = append(f, n)
		}
	}
	return fmt.Sprintf("snnsim board, protocol %s, %d neurons, %d axons, %d groups, %d-entry tables, FIFO %d events, transactions ≤ %d bytes, features %s, I2C %#x",
		i.VersionString(), i.MaxNeurons, i.MaxAxons, i.Groups, i.LUTEntries, i.FIFODepth, i.MaxTx, strings.Join(f, ","), i.I2CAddr)
}

// String describes the board.
func (i Info) String() string { return i.describe() }
