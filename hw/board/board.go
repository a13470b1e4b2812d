package board

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/snnsim/snnsim/hw/proto"
)

// Config describes the emulated board.
type Config struct {
	Neurons   int    // CAPS max neurons, 1 … 256 (default 256)
	Axons     int    // CAPS max axons, 0 … 256 (default 256)
	FIFODepth int    // output FIFO depth in events (default 4096)
	MaxTx     int    // largest transaction the SPI port takes (default 4096; MaxTxSize)
	I2CAddr   uint16 // 7-bit I2C address (default 0x42)
	Faults    Faults
	// NonIdeal adds threshold and weight mismatch and weight read noise (zero: an exact core).
	NonIdeal NonIdeal
	// Clock measures stalls (default: the system clock). Tests share a FakeClock with
	// the driver so that backoff and stalls run in simulated time.
	Clock Clock
}

func (c *Config) defaults() {
	if c.Neurons == 0 {
		c.Neurons = proto.MaxNeurons
	}
	if c.Axons == 0 {
		c.Axons = proto.MaxAxons
	}
	if c.FIFODepth == 0 {
		c.FIFODepth = 4096
	}
	if c.MaxTx == 0 {
		c.MaxTx = proto.MaxTx
	}
	if c.I2CAddr == 0 {
		c.I2CAddr = proto.I2CDefaultAddr
	}
	if c.Clock == nil {
		c.Clock = RealClock{}
	}
}

// Stats counts what happened on the board's buses.
type Stats struct {
	Transactions    int64 // SPI transactions
	I2CTransactions int64
	MOSICorrupted   int64 // SPI transactions whose request bytes were altered by a fault
	MISOCorrupted   int64 // SPI transactions whose answer bytes were altered by a fault
	I2CCorrupted    int64 // I2C transactions with a flipped bit
	Stalls          int64 // stalls begun
	Stalled         int64 // transactions not answered because the board was stalled
	Busy            int64 // BUSY answers injected
	Nacks           int64 // I2C NACKs injected
	Resets          int64 // spontaneous resets
	Executed        int64 // requests executed (SPI and I2C writes)
	Replayed        int64 // duplicates answered from the stored response
	CRCErrors       int64 // requests refused for a CRC error
	FrameErrors     int64 // requests truncated or rejected
	// ExecutedCorrupted counts requests the board executed although their bytes differ
	// from what the host sent: corruption that got past the checks. It must stay 0.
	ExecutedCorrupted int64
}

// Board is an emulated snnsim board: the fixed-point core of docs/hardware.md behind the
// SPI protocol and the I2C register mirror, with fault injection. It is safe for use
// by several goroutines (transactions are serialised, as on a bus).
type Board struct {
	mu  sync.Mutex
	cfg Config
	rng *rand.Rand // faults

	// registers
	control, neurons, axons, seed, tickPeriod, monitor, scratch uint32
	sticky                                                      proto.Status // StOverflow | StReset
	lost, crcErrors, frameErrors                                uint32
	lastSeq                                                     uint8

	// memories (byte images, as the host sees them)
	weights, params, state, lut, shift, lutShift, axonGroup []byte

	// core
	acc  []int32
	prng uint32
	tick uint64
	fifo fifo

	cache struct { // stored response of the last executed request (seq ≠ 0)
		valid bool
		seq   uint8
		crc   uint16
		resp  proto.Response
	}
	stallUntil time.Time
	stats      Stats
	ni         *nonIdeal // nil: exact core
	scratchIn  []byte
	scratchOut []byte
	clean      []byte // the last SPI answer before faults
}

// New returns a powered-on board (STATUS.RESET set, memories zero).
func New(cfg Config) *Board {
	cfg.defaults()
	if cfg.Neurons < 1 || cfg.Neurons > proto.MaxNeurons || cfg.Axons < 0 || cfg.Axons > proto.MaxAxons {
		panic(fmt.Sprintf("board: %d neurons and %d axons: version 1 allows 1-256 and 0-256", cfg.Neurons, cfg.Axons))
	}
	if cfg.MaxTx < 64 || cfg.MaxTx > proto.MaxTx {
		panic(fmt.Sprintf("board: MaxTx %d out of range [64, %d]", cfg.MaxTx, proto.MaxTx))
	}
	b := &Board{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Faults.Seed, 0xfa017)), ni: newNonIdeal(cfg.NonIdeal, proto.MaxNeurons, proto.MaxAxons+proto.MaxNeurons)}
	b.powerOn()
	return b
}

// Config returns the board's configuration.
func (b *Board) Config() Config { return b.cfg }

// Stats returns the counters.
func (b *Board) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stats
}

// LastAnswer returns the bytes the board sent in the last SPI transaction before fault
// injection altered them (for tests that check what the host let through).
func (b *Board) LastAnswer() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.clean...)
}

// SetFaults replaces the fault-injection settings (the fault stream is reseeded).
func (b *Board) SetFaults(f Faults) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cfg.Faults = f
	b.rng = rand.New(rand.NewPCG(f.Seed, 0xfa017))
}

// PowerCycle resets the board as a power cycle does.
func (b *Board) PowerCycle() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.powerOn()
}

func (b *Board) powerOn() {
	b.control, b.neurons, b.axons, b.seed, b.tickPeriod, b.monitor, b.scratch = 0, 0, 0, 1, 1000, 0, 0
	b.sticky = proto.StReset
	b.lost, b.crcErrors, b.frameErrors, b.lastSeq = 0, 0, 0, 0
	b.weights = make([]byte, proto.SizeWeights)
	b.params = make([]byte, proto.SizeParams)
	b.state = make([]byte, proto.SizeState)
	b.lut = make([]byte, proto.SizeLUT)
	b.shift = make([]byte, proto.SizeShift)
	b.lutShift = make([]byte, proto.SizeLUTShift)
	b.axonGroup = make([]byte, proto.SizeAxonGroup)
	b.acc = make([]int32, proto.MaxNeurons)
	b.prng = 1
	b.tick = 0
	b.fifo = newFIFO(b.cfg.FIFODepth)
	b.cache.valid = false
	b.stallUntil = time.Time{}
}

// resetState is RESET_STATE: neuron state, accumulators, FIFO, tick, LOST and the
// OVERFLOW flag cleared; the PRNG reloaded from SEED.
func (b *Board) resetState() {
	clear(b.state)
	clear(b.acc)
	b.fifo.clear()
	b.tick = 0
	b.lost = 0
	b.sticky &^= proto.StOverflow
	b.prng = b.seed
	if b.prng == 0 {
		b.prng = 0x9E3779B9
	}
	if b.ni != nil {
		b.ni.reseed(b.cfg.NonIdeal.Seed, b.seed)
	}
}

// mem returns the backing slice of a region.
func (b *Board) mem(r proto.Region) []byte {
	switch r.Base {
	case proto.MemWeights:
		return b.weights
	case proto.MemParams:
		return b.params
	case proto.MemState:
		return b.state
	case proto.MemLUT:
		return b.lut
	case proto.MemShift:
		return b.shift
	case proto.MemLUTShift:
		return b.lutShift
	case proto.MemAxonGroup:
		return b.axonGroup
	}
	panic("board: unknown region " + r.Name)
}

// errReject carries a reject code out of the request handlers.
type errReject int

func (e errReject) Error() string { return proto.CodeString(int(e)) }

func (b *Board) readReg(r proto.Reg) (uint32, error) {
	switch r {
	case proto.RegID:
		return proto.BoardID, nil
	case proto.RegVersion:
		return proto.Version, nil
	case proto.RegCaps:
		return uint32(b.cfg.Neurons) | uint32(b.cfg.Axons)<<16, nil
	case proto.RegCaps2:
		return proto.Groups | 8<<8 | uint32(min(b.cfg.FIFODepth, 0xFFFF))<<16, nil
	case proto.RegMaxTx:
		return uint32(b.cfg.MaxTx), nil
	case proto.RegFeatures:
		return proto.FeatStochastic | proto.FeatMonitor | proto.FeatI2C, nil
	case proto.RegControl:
		return b.control, nil
	case proto.RegStatus:
		return uint32(proto.MakeStatus(b.sticky, 0, b.fifo.len())), nil
	case proto.RegNeurons:
		return b.neurons, nil
	case proto.RegAxons:
		return b.axons, nil
	case proto.RegSeed:
		return b.seed, nil
	case proto.RegPRNG:
		return b.prng, nil
	case proto.RegTick:
		return uint32(b.tick), nil
	case proto.RegTickPeriod:
		return b.tickPeriod, nil
	case proto.RegMonitor:
		return b.monitor, nil
	case proto.RegLost:
		return b.lost, nil
	case proto.RegCRCErrors:
		return b.crcErrors, nil
	case proto.RegFrameErrors:
		return b.frameErrors, nil
	case proto.RegLastSeq:
		return uint32(b.lastSeq), nil
	case proto.RegScratch:
		return b.scratch, nil
	case proto.RegI2CAddr:
		return uint32(b.cfg.I2CAddr), nil
	}
	return 0, errReject(proto.CodeAddress)
}

// checkWrite validates a register write without doing it.
func (b *Board) checkWrite(r proto.Reg, v uint32) error {
	info, ok := r.Info()
	if !ok {
		return errReject(proto.CodeAddress)
	}
	if info.Access == proto.RO {
		return errReject(proto.CodeReadOnly)
	}
	switch r {
	case proto.RegControl:
		if v&proto.CtlRun != 0 || v&^uint32(proto.CtlRun|proto.CtlResetState|proto.CtlSoftReset) != 0 {
			return errReject(proto.CodeValue) // no free-running mode in the emulator
		}
	case proto.RegNeurons:
		if v > uint32(b.cfg.Neurons) {
			return errReject(proto.CodeValue)
		}
	case proto.RegAxons:
		if v > uint32(b.cfg.Axons) {
			return errReject(proto.CodeValue)
		}
	}
	return nil
}

func (b *Board) writeReg(r proto.Reg, v uint32) {
	switch r {
	case proto.RegControl:
		if v&proto.CtlSoftReset != 0 {
			b.powerOn()
			return
		}
		if v&proto.CtlResetState != 0 {
			b.resetState()
		}
		b.control = v & proto.CtlRun
	case proto.RegStatus:
		b.sticky &^= proto.Status(v) & (proto.StOverflow | proto.StReset)
	case proto.RegNeurons:
		b.neurons = v
	case proto.RegAxons:
		b.axons = v
	case proto.RegSeed:
		b.seed = v
	case proto.RegTickPeriod:
		b.tickPeriod = v
	case proto.RegMonitor:
		b.monitor = v
	case proto.RegScratch:
		b.scratch = v
	}
}

// writeRegs checks every register of a multi-register write, then does it.
func (b *Board) writeRegs(r proto.Reg, vals []uint32) error {
	for i, v := range vals {
		if err := b.checkWrite(r+proto.Reg(i), v); err != nil {
			return err
		}
	}
	for i, v := range vals {
		b.writeReg(r+proto.Reg(i), v)
	}
	return nil
}

func (b *Board) readRegs(r proto.Reg, n int) ([]uint32, error) {
	vals := make([]uint32, n)
	for i := range vals {
		v, err := b.readReg(r + proto.Reg(i))
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	return vals, nil
}

// Transact performs one SPI transaction: w is what the host clocks out, r receives
// what the board clocks back (same length, full duplex).
func (b *Board) Transact(w, r []byte) error {
	if len(w) != len(r) {
		return fmt.Errorf("board: spi: full duplex needs equal buffers, got %d and %d bytes", len(w), len(r))
	}
	if len(w) > b.cfg.MaxTx {
		return fmt.Errorf("board: spi: transaction of %d bytes, more than %d", len(w), b.cfg.MaxTx)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stats.Transactions++
	f := &b.cfg.Faults
	if f.ResetRate > 0 && b.rng.Float64() < f.ResetRate {
		b.stats.Resets++
		b.powerOn()
	}
	in := w
	if f.byteFaults() {
		b.scratchIn = mangle(b.rng, f, b.scratchIn, w, 0x00)
		in = b.scratchIn
		if !bytes.Equal(in, w) {
			b.stats.MOSICorrupted++
		}
	}
	out := r
	for i := range out {
		out[i] = proto.Idle
	}
	now := b.cfg.Clock.Now()
	switch {
	case now.Before(b.stallUntil):
		b.stats.Stalled++
	case f.StallRate > 0 && b.rng.Float64() < f.StallRate:
		b.stats.Stalls++
		b.stats.Stalled++
		d := f.StallTime
		if d == 0 {
			d = 2 * time.Millisecond
		}
		b.stallUntil = now.Add(d)
	default:
		busy := f.BusyRate > 0 && b.rng.Float64() < f.BusyRate
		b.handle(w, in, out, busy)
	}
	b.clean = append(b.clean[:0], out...)
	if f.byteFaults() {
		b.scratchOut = mangle(b.rng, f, b.scratchOut, out, proto.Idle)
		if !bytes.Equal(b.scratchOut, out) {
			b.stats.MISOCorrupted++
			copy(out, b.scratchOut)
		}
	}
	return nil
}

// handle decodes and executes the request in in (orig: what the host sent) and writes
// the response into out.
func (b *Board) handle(orig, in, out []byte, busy bool) {
	req, n, err := proto.DecodeRequest(in)
	switch {
	case errors.Is(err, proto.ErrTruncated):
		// A real board would wait for bytes that never come: no answer.
		b.frameErrors = satInc(b.frameErrors)
		b.stats.FrameErrors++
		return
	case err != nil:
		b.crcErrors = satInc(b.crcErrors)
		b.stats.CRCErrors++
		b.answer(out, n0(in), proto.Response{Op: proto.Op(in[0] &^ proto.RespFlag), Seq: in[1], Status: b.status(proto.StCRCErr, 0)})
		return
	}
	off := n + proto.Gap
	if busy {
		b.stats.Busy++
		b.answer(out, off, proto.Response{Op: req.Op, Seq: req.Seq, Status: b.status(proto.StBusy, 0)})
		return
	}
	crc := binary.BigEndian.Uint16(in[n-proto.CRCLen:])
	if req.Seq != 0 && b.cache.valid && b.cache.seq == req.Seq && b.cache.crc == crc {
		b.stats.Replayed++
		rs := b.cache.resp
		rs.Status |= proto.StReplay
		b.answer(out, off, rs)
		return
	}
	data, err := b.exec(req, off)
	if err != nil {
		code := proto.CodeLength
		var rj errReject
		if errors.As(err, &rj) {
			code = int(rj)
		}
		b.frameErrors = satInc(b.frameErrors)
		b.stats.FrameErrors++
		b.answer(out, off, proto.Response{Op: req.Op, Seq: req.Seq, Status: b.status(proto.StReject, code)})
		return
	}
	b.stats.Executed++
	if !bytes.Equal(orig[:n], in[:n]) {
		b.stats.ExecutedCorrupted++
	}
	flags := proto.StAck
	if req.Op.ReturnsEvents() && b.fifo.len() > 0 {
		flags |= proto.StMore
	}
	rs := proto.Response{Op: req.Op, Seq: req.Seq, Status: b.status(flags, 0), Data: data}
	if req.Seq != 0 {
		b.lastSeq = req.Seq
		b.cache.valid, b.cache.seq, b.cache.crc = true, req.Seq, crc
		b.cache.resp = rs
	}
	b.answer(out, off, rs)
}

// n0 is where a response goes after a request whose CRC failed: after the frame its
// length field describes.
func n0(in []byte) int {
	return proto.HeaderLen + int(binary.LittleEndian.Uint16(in[2:4])) + proto.CRCLen + proto.Gap
}

func (b *Board) status(flags proto.Status, code int) proto.Status {
	return proto.MakeStatus(flags|b.sticky, code, b.fifo.len())
}

// answer writes the response at off; what does not fit in the transaction is lost (the
// host clocked too few bytes).
func (b *Board) answer(out []byte, off int, rs proto.Response) {
	if off >= len(out) {
		return
	}
	enc := proto.AppendResponse(nil, rs)
	copy(out[off:], enc)
}

// exec executes a request whose response starts at off, returning the response data.
func (b *Board) exec(req proto.Request, off int) ([]byte, error) {
	room := func(asked int) int {
		fit := (proto.MaxTx - off - proto.RespHeaderLen - proto.CRCLen) / proto.EventBytes
		return max(min(asked, fit), 0)
	}
	switch req.Op {
	case proto.OpNop:
		if len(req.Payload) != 0 {
			return nil, errReject(proto.CodeLength)
		}
		return nil, nil
	case proto.OpRegRead:
		r, n, err := proto.ParseRegRead(req.Payload)
		if err != nil {
			return nil, err
		}
		vals, err := b.readRegs(r, n)
		if err != nil {
			return nil, err
		}
		return proto.AppendRegWrite(nil, 0, vals)[2:], nil
	case proto.OpRegWrite:
		r, vals, err := proto.ParseRegWrite(req.Payload)
		if err != nil {
			return nil, err
		}
		return nil, b.writeRegs(r, vals)
	case proto.OpMemRead:
		addr, n, err := proto.ParseMemRead(req.Payload)
		if err != nil {
			return nil, err
		}
		reg, ok := proto.RegionOf(addr, n)
		if !ok {
			return nil, errReject(proto.CodeAddress)
		}
		if off+proto.RespHeaderLen+n+proto.CRCLen > proto.MaxTx {
			return nil, errReject(proto.CodeTooLarge)
		}
		o := int(addr - reg.Base)
		return append([]byte(nil), b.mem(reg)[o:o+n]...), nil
	case proto.OpMemWrite:
		addr, data, err := proto.ParseMemWrite(req.Payload)
		if err != nil {
			return nil, err
		}
		reg, ok := proto.RegionOf(addr, len(data))
		if !ok {
			return nil, errReject(proto.CodeAddress)
		}
		copy(b.mem(reg)[addr-reg.Base:], data)
		return nil, nil
	case proto.OpInput:
		rm, ev, err := proto.ParseInput(req.Payload)
		if err != nil {
			return nil, err
		}
		for _, e := range ev {
			if e.ValidInput(int(b.axons)) != nil {
				return nil, errReject(proto.CodeEvent)
			}
		}
		for _, e := range ev {
			b.input(int(e.ID()), e.Count())
		}
		return b.pop(room(rm)), nil
	case proto.OpTick:
		rm, n, err := proto.ParseTick(req.Payload)
		if err != nil {
			return nil, err
		}
		for range n {
			b.tickOnce()
		}
		return b.pop(room(rm)), nil
	case proto.OpDrain:
		rm, err := proto.ParseDrain(req.Payload)
		if err != nil {
			return nil, err
		}
		return b.pop(room(rm)), nil
	case proto.OpResetState:
		if len(req.Payload) != 0 {
			return nil, errReject(proto.CodeLength)
		}
		b.resetState()
		return nil, nil
	}
	return nil, errReject(proto.CodeUnknownOp)
}

// pop removes up to n events from the FIFO and returns them as wire bytes.
func (b *Board) pop(n int) []byte {
	n = min(n, b.fifo.len())
	out := make([]byte, 0, 4*n)
	for range n {
		out = binary.LittleEndian.AppendUint32(out, b.fifo.pop())
	}
	return out
}

func (b *Board) push(e proto.Event) {
	if !b.fifo.push(uint32(e)) {
		b.sticky |= proto.StOverflow
		b.lost = satInc(b.lost)
	}
}

func satInc(x uint32) uint32 {
	if x == ^uint32(0) {
		return x
	}
	return x + 1
}

// fifo is a ring buffer of event words.
type fifo struct {
	buf        []uint32
	head, size int
}

func newFIFO(depth int) fifo { return fifo{buf: make([]uint32, depth)} }

func (f *fifo) len() int { return f.size }

func (f *fifo) clear() { f.head, f.size = 0, 0 }

func (f *fifo) push(x uint32) bool {
	if f.size == len(f.buf) {
		return false
	}
	f.buf[(f.head+f.size)%len(f.buf)] = x
	f.size++
	return true
}

func (f *fifo) pop() uint32 {
	x := f.buf[f.head]
	f.head = (f.head + 1) % len(f.buf)
	f.size--
	return x
}
