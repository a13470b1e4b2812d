package board

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"

	"github.com/snnsim/snnsim/hw/proto"
	"github.com/snnsim/snnsim/neuron"
)

// tx sends one request with room for respData bytes of answer and decodes the answer.
func tx(t *testing.T, b *Board, op proto.Op, seq uint8, payload []byte, respData int) (proto.Response, error) {
	t.Helper()
	w := proto.AppendRequest(nil, proto.Request{Op: op, Seq: seq, Payload: payload})
	n := proto.TxLen(len(payload), respData)
	w = append(w, make([]byte, n-len(w))...)
	r := make([]byte, n)
	require.NoError(t, b.Transact(w, r))
	resp, _, err := proto.DecodeResponse(r[proto.RespOffset(len(payload)):])
	return resp, err
}

func ok(t *testing.T, b *Board, op proto.Op, seq uint8, payload []byte, respData int) proto.Response {
	t.Helper()
	resp, err := tx(t, b, op, seq, payload, respData)
	require.NoError(t, err)
	require.Equal(t, op, resp.Op)
	require.Equal(t, seq, resp.Seq)
	require.NotZero(t, resp.Status&proto.StAck, "status %s", resp.Status)
	return resp
}

func TestPowerOnAndRegisters(t *testing.T) {
	b := New(Config{Neurons: 64, Axons: 32, FIFODepth: 2048})
	resp := ok(t, b, proto.OpRegRead, 1, proto.AppendRegRead(nil, proto.RegID, 6), 24)
	v, err := proto.ParseRegValues(resp.Data, 6)
	require.NoError(t, err)
	assert.Equal(t, []uint32{proto.BoardID, proto.Version, 64 | 32<<16, 16 | 8<<8 | 2048<<16, 4096, 7}, v)
	assert.NotZero(t, resp.Status&proto.StReset, "RESET is set at power-on")
	// clear RESET (W1C)
	ok(t, b, proto.OpRegWrite, 2, proto.AppendRegWrite(nil, proto.RegStatus, []uint32{uint32(proto.StReset)}), 0)
	resp = ok(t, b, proto.OpNop, 3, nil, 0)
	assert.Zero(t, resp.Status&proto.StReset)
	ok(t, b, proto.OpRegWrite, 4, proto.AppendRegWrite(nil, proto.RegNeurons, []uint32{64, 32, 77}), 0)
	resp = ok(t, b, proto.OpRegRead, 5, proto.AppendRegRead(nil, proto.RegNeurons, 2), 8)
	v, _ = proto.ParseRegValues(resp.Data, 2)
	assert.Equal(t, []uint32{64, 32}, v)
	resp = ok(t, b, proto.OpRegRead, 6, proto.AppendRegRead(nil, proto.RegLastSeq, 1), 4)
	v, _ = proto.ParseRegValues(resp.Data, 1)
	assert.Equal(t, []uint32{5}, v)
}

func TestRejects(t *testing.T) {
	b := New(Config{Neurons: 8, Axons: 4})
	for _, tc := range []struct {
		name    string
		op      proto.Op
		payload []byte
		code    int
	}{
		{"unknown op", proto.Op(0x20), nil, proto.CodeUnknownOp},
		{"nop with payload", proto.OpNop, []byte{1}, proto.CodeLength},
		{"unmapped register", proto.OpRegRead, proto.AppendRegRead(nil, 0x0100, 1), proto.CodeAddress},
		{"read-only", proto.OpRegWrite, proto.AppendRegWrite(nil, proto.RegID, []uint32{1}), proto.CodeReadOnly},
		{"neurons > max", proto.OpRegWrite, proto.AppendRegWrite(nil, proto.RegNeurons, []uint32{9}), proto.CodeValue},
		{"free-running", proto.OpRegWrite, proto.AppendRegWrite(nil, proto.RegControl, []uint32{proto.CtlRun}), proto.CodeValue},
		{"memory range", proto.OpMemRead, proto.AppendMemRead(nil, proto.MemState+proto.SizeState-2, 4), proto.CodeAddress},
		{"memory hole", proto.OpMemWrite, proto.AppendMemWrite(nil, 0x0005_0000, []byte{1}), proto.CodeAddress},
		{"axon beyond AXONS", proto.OpInput, proto.AppendInput(nil, 0, []proto.Event{proto.Spike(0, 1, 0)}), proto.CodeEvent},
		{"tick 0", proto.OpTick, proto.AppendTick(nil, 0, 0), proto.CodeLength},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := tx(t, b, tc.op, 9, tc.payload, 0)
			require.NoError(t, err)
			assert.NotZero(t, resp.Status&proto.StReject)
			assert.Zero(t, resp.Status&proto.StAck)
			assert.Equal(t, tc.code, resp.Status.Code(), proto.CodeString(resp.Status.Code()))
		})
	}
	// Nothing of a rejected multi-register write is written.
	_, _ = tx(t, b, proto.OpRegWrite, 10, proto.AppendRegWrite(nil, proto.RegNeurons, []uint32{4, 99}), 0)
	v, _ := b.readReg(proto.RegNeurons)
	assert.Zero(t, v)
	assert.Equal(t, int64(11), b.Stats().FrameErrors)
}

func TestCRCErrorAndTruncation(t *testing.T) {
	b := New(Config{})
	w := proto.AppendRequest(nil, proto.Request{Op: proto.OpNop, Seq: 4})
	w[1] ^= 0x40
	n := proto.TxLen(0, 0)
	w = append(w, make([]byte, n-len(w))...)
	r := make([]byte, n)
	require.NoError(t, b.Transact(w, r))
	resp, _, err := proto.DecodeResponse(r[proto.RespOffset(0):])
	require.NoError(t, err)
	assert.NotZero(t, resp.Status&proto.StCRCErr)
	// A length running past the transaction: no answer at all.
	w2 := proto.AppendRequest(nil, proto.Request{Op: proto.OpNop, Seq: 5})
	w2[2] = 200
	w2 = append(w2, make([]byte, n-len(w2))...)
	require.NoError(t, b.Transact(w2, r))
	assert.Equal(t, bytes.Repeat([]byte{proto.Idle}, n), r)
	st := b.Stats()
	assert.Equal(t, int64(1), st.CRCErrors)
	assert.Equal(t, int64(1), st.FrameErrors)
	require.Error(t, b.Transact(w2, r[:3]), "full duplex needs equal lengths")
	require.Error(t, b.Transact(make([]byte, 5000), make([]byte, 5000)))
}

func TestRetryIsAnsweredFromStore(t *testing.T) {
	b := New(Config{Neurons: 4, Axons: 1})
	ok(t, b, proto.OpRegWrite, 1, proto.AppendRegWrite(nil, proto.RegNeurons, []uint32{4, 1}), 0)
	tick := proto.AppendTick(nil, 4, 1)
	first := ok(t, b, proto.OpTick, 2, tick, 16)
	again := ok(t, b, proto.OpTick, 2, tick, 16)
	assert.NotZero(t, again.Status&proto.StReplay)
	assert.Equal(t, first.Data, again.Data)
	assert.Equal(t, uint64(1), b.tick, "a retried TICK runs once")
	ok(t, b, proto.OpTick, 3, tick, 16)
	assert.Equal(t, uint64(2), b.tick)
	// seq 0 is never deduplicated
	ok(t, b, proto.OpTick, 0, tick, 16)
	ok(t, b, proto.OpTick, 0, tick, 16)
	assert.Equal(t, uint64(4), b.tick)
	assert.Equal(t, int64(1), b.Stats().Replayed)
}

func TestTickAndEvents(t *testing.T) {
	b := New(Config{Neurons: 4, Axons: 2})
	// neuron 0: θ = 10, reset 10, no decay memory; output. Axon 1 → neuron 0 weight 3 << 2.
	p := proto.EncodeParams(neuron.FixedParams{Theta: 10, Reset: 10, DecayI: 0, DecayV: 15, Output: true})
	ok(t, b, proto.OpMemWrite, 1, proto.AppendMemWrite(nil, proto.ParamAddr(0), p[:]), 0)
	ok(t, b, proto.OpMemWrite, 2, proto.AppendMemWrite(nil, proto.WeightAddr(1, 0), []byte{3}), 0)
	ok(t, b, proto.OpMemWrite, 3, proto.AppendMemWrite(nil, proto.ShiftAddr(0, 0), []byte{2}), 0)
	// neurons 1-3: never fire (θ = 32767)
	for i := 1; i < 4; i++ {
		q := proto.EncodeParams(neuron.FixedParams{Theta: 32767})
		ok(t, b, proto.OpMemWrite, uint8(3+i), proto.AppendMemWrite(nil, proto.ParamAddr(i), q[:]), 0)
	}
	ok(t, b, proto.OpRegWrite, 10, proto.AppendRegWrite(nil, proto.RegNeurons, []uint32{4, 2}), 0)
	ok(t, b, proto.OpRegWrite, 11, proto.AppendRegWrite(nil, proto.RegMonitor, []uint32{proto.MonEnable | proto.MonMembrane}), 0)
	ok(t, b, proto.OpResetState, 12, nil, 0)
	resp := ok(t, b, proto.OpInput, 13, proto.AppendInput(nil, 0, []proto.Event{proto.Spike(0, 1, 1)}), 0)
	assert.Empty(t, resp.Data)
	resp = ok(t, b, proto.OpTick, 14, proto.AppendTick(nil, 2, 1), 8)
	ev, _ := proto.ParseEvents(resp.Data)
	// u = 12 ≥ 10: spike, u = 2. Three events queued, room for two.
	assert.Equal(t, []proto.Event{proto.Time(0), proto.Spike(0, 1, 0)}, ev)
	assert.NotZero(t, resp.Status&proto.StMore)
	assert.Equal(t, 1, resp.Status.Level())
	resp = ok(t, b, proto.OpDrain, 15, proto.AppendDrain(nil, 8), 32)
	ev, _ = proto.ParseEvents(resp.Data)
	assert.Equal(t, []proto.Event{proto.State(proto.VarMembrane, 0, 2)}, ev)
	assert.Zero(t, resp.Status&proto.StMore)
	st := make([]neuron.FixedState, 1)
	resp = ok(t, b, proto.OpMemRead, 16, proto.AppendMemRead(nil, proto.StateAddr(0), 4), 4)
	require.NoError(t, proto.DecodeStates(st, resp.Data))
	assert.Equal(t, neuron.FixedState{I: 12, U: 2}, st[0])
}

func TestFIFOOverflow(t *testing.T) {
	b := New(Config{Neurons: 8, Axons: 1, FIFODepth: 10})
	ok(t, b, proto.OpRegWrite, 1, proto.AppendRegWrite(nil, proto.RegNeurons, []uint32{8}), 0)
	for i := range 8 {
		p := proto.EncodeParams(neuron.FixedParams{Theta: -100, Output: true}) // fires every tick
		ok(t, b, proto.OpMemWrite, uint8(2+i), proto.AppendMemWrite(nil, proto.ParamAddr(i), p[:]), 0)
	}
	resp := ok(t, b, proto.OpTick, 20, proto.AppendTick(nil, 0, 3), 0)
	assert.NotZero(t, resp.Status&proto.StOverflow)
	assert.Equal(t, 10, resp.Status.Level())
	v, _ := b.readReg(proto.RegLost)
	assert.Equal(t, uint32(27-10), v)
	ok(t, b, proto.OpResetState, 21, nil, 0)
	resp = ok(t, b, proto.OpNop, 22, nil, 0)
	assert.Zero(t, resp.Status&proto.StOverflow, "RESET_STATE clears OVERFLOW")
}

func TestSoftResetAndSpontaneousReset(t *testing.T) {
	b := New(Config{})
	ok(t, b, proto.OpRegWrite, 1, proto.AppendRegWrite(nil, proto.RegStatus, []uint32{uint32(proto.StReset)}), 0)
	ok(t, b, proto.OpRegWrite, 2, proto.AppendRegWrite(nil, proto.RegScratch, []uint32{5}), 0)
	ok(t, b, proto.OpRegWrite, 3, proto.AppendRegWrite(nil, proto.RegControl, []uint32{proto.CtlSoftReset}), 0)
	resp := ok(t, b, proto.OpRegRead, 4, proto.AppendRegRead(nil, proto.RegScratch, 1), 4)
	assert.NotZero(t, resp.Status&proto.StReset)
	assert.Equal(t, []byte{0, 0, 0, 0}, resp.Data)

	b.SetFaults(Faults{Seed: 1, ResetRate: 1})
	resp = ok(t, b, proto.OpNop, 5, nil, 0)
	assert.NotZero(t, resp.Status&proto.StReset)
	assert.Equal(t, int64(1), b.Stats().Resets)
}

func TestMangle(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	src := make([]byte, 100000)
	for i := range src {
		src[i] = byte(i)
	}
	var dst []byte
	dst = mangle(rng, &Faults{FlipRate: 1e-3}, dst, src, 0)
	require.Len(t, dst, len(src))
	diff := 0
	for i := range src {
		if src[i] != dst[i] {
			diff++
			x := src[i] ^ dst[i]
			require.Equal(t, 0, int(x&(x-1)), "one bit flipped")
		}
	}
	assert.InDelta(t, 100, diff, 40)
	dst = mangle(rng, &Faults{DropRate: 1e-4}, dst, src, 0xEE)
	require.Len(t, dst, len(src))
	assert.NotEqual(t, src, dst)
	assert.Equal(t, byte(0xEE), dst[len(dst)-1])
	dst = mangle(rng, &Faults{DupRate: 1e-4}, dst, src, 0xEE)
	require.Len(t, dst, len(src))
	assert.NotEqual(t, src, dst)
}

func TestStall(t *testing.T) {
	clk := NewFakeClock()
	b := New(Config{Clock: clk, Faults: Faults{Seed: 3, StallRate: 1, StallTime: time.Millisecond}})
	_, err := tx(t, b, proto.OpNop, 1, nil, 0)
	require.ErrorIs(t, err, proto.ErrNoAnswer)
	b.SetFaults(Faults{})
	_, err = tx(t, b, proto.OpNop, 2, nil, 0)
	require.ErrorIs(t, err, proto.ErrNoAnswer, "still stalled")
	require.Error(t, b.I2C().Tx(0x42, proto.I2CReadRequest(proto.RegID, 1), make([]byte, 5)))
	clk.Sleep(2 * time.Millisecond)
	ok(t, b, proto.OpNop, 3, nil, 0)
	assert.Equal(t, int64(1), b.Stats().Stalls)
}

func TestI2CMirror(t *testing.T) {
	b := New(Config{Neurons: 16})
	bus := b.I2C()
	require.NoError(t, bus.Tx(0x42, proto.I2CWrite(0x42, proto.RegScratch, []uint32{0xABCD}), nil))
	w := proto.I2CReadRequest(proto.RegScratch, 1)
	r := make([]byte, proto.I2CReadLen(1))
	require.NoError(t, bus.Tx(0x42, w, r))
	v, err := proto.DecodeI2CRead(0x42, w, r)
	require.NoError(t, err)
	assert.Equal(t, []uint32{0xABCD}, v)
	// SPI sees the same register.
	resp := ok(t, b, proto.OpRegRead, 1, proto.AppendRegRead(nil, proto.RegScratch, 1), 4)
	assert.Equal(t, uint32(0xABCD), binary.LittleEndian.Uint32(resp.Data))
	bad := proto.I2CWrite(0x42, proto.RegScratch, []uint32{1})
	bad[2] ^= 1
	require.ErrorContains(t, bus.Tx(0x42, bad, nil), "NACK")
	require.ErrorContains(t, bus.Tx(0x42, proto.I2CWrite(0x42, proto.RegID, []uint32{1}), nil), "read-only")
	require.ErrorContains(t, bus.Tx(0x42, proto.I2CWrite(0x42, proto.RegNeurons, []uint32{17}), nil), "NACK")
	require.ErrorContains(t, bus.Tx(0x50, w, r), "no device")
	require.ErrorContains(t, bus.Tx(0x42, []byte{0, 1, 0}, r), "read request refused")
	b.SetFaults(Faults{NackRate: 1})
	require.ErrorContains(t, bus.Tx(0x42, w, r), "NACK")
}

func TestPorts(t *testing.T) {
	b := New(Config{MaxTx: 512})
	p := b.SPI()
	_, err := p.Connect(physic.MegaHertz, spi.Mode3, 8)
	require.ErrorContains(t, err, "mode 0")
	c, err := p.Connect(physic.MegaHertz, spi.Mode0, 8)
	require.NoError(t, err)
	_, err = p.Connect(physic.MegaHertz, spi.Mode0, 8)
	require.Error(t, err)
	sc := c.(*SPIConn)
	assert.Equal(t, 512, sc.MaxTxSize())
	require.ErrorContains(t, c.TxPackets(nil), "TxPackets is not supported")
	require.Error(t, c.Tx(make([]byte, 513), make([]byte, 513)))
	assert.Panics(t, func() { New(Config{Neurons: 300}) })
}

// FuzzTransact feeds arbitrary request bytes to the board: it must never panic, and any
// answer it gives must be a well-formed response at the right place.
func FuzzTransact(f *testing.F) {
	for _, seed := range [][]byte{
		proto.AppendRequest(nil, proto.Request{Op: proto.OpTick, Seq: 1, Payload: proto.AppendTick(nil, 8, 3)}),
		proto.AppendRequest(nil, proto.Request{Op: proto.OpInput, Seq: 2, Payload: proto.AppendInput(nil, 4, []proto.Event{proto.Spike(0, 3, 1)})}),
		proto.AppendRequest(nil, proto.Request{Op: proto.OpMemWrite, Seq: 3, Payload: proto.AppendMemWrite(nil, proto.ParamAddr(0), []byte{0, 1, 2, 3, 4, 5, 6, 7})}),
		proto.AppendRequest(nil, proto.Request{Op: proto.OpRegWrite, Seq: 4, Payload: proto.AppendRegWrite(nil, proto.RegNeurons, []uint32{16, 8})}),
		proto.AppendRequest(nil, proto.Request{Op: proto.OpMemRead, Seq: 5, Payload: proto.AppendMemRead(nil, proto.MemLUT, 64)}),
	} {
		f.Add(seed, uint16(64))
	}
	f.Fuzz(func(t *testing.T, w []byte, pad uint16) {
		b := New(Config{Neurons: 16, Axons: 8, FIFODepth: 64})
		b.neurons, b.axons = 16, 8
		n := min(len(w)+int(pad%1024), proto.MaxTx)
		if len(w) > n {
			w = w[:n]
		}
		buf := append(append([]byte{}, w...), make([]byte, n-len(w))...)
		r := make([]byte, n)
		if err := b.Transact(buf, r); err != nil {
			t.Fatal(err)
		}
		req, fl, err := proto.DecodeRequest(buf)
		if err != nil || fl+proto.Gap >= n {
			return
		}
		if resp, _, err := proto.DecodeResponse(r[fl+proto.Gap:]); err == nil && resp.Seq != req.Seq {
			t.Fatalf("answer to seq %d for seq %d", resp.Seq, req.Seq)
		}
	})
}
