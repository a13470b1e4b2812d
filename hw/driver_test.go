package hw

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"

	"github.com/snnsim/snnsim/hw/board"
	"github.com/snnsim/snnsim/hw/proto"
	"github.com/snnsim/snnsim/neuron"
	"github.com/snnsim/snnsim/sim"
)

func TestParseTarget(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want Target
		err  string
	}{
		{spec: "emu", want: Target{Kind: "emu", I2CAddr: 0x42}},
		{spec: "emu,i2c", want: Target{Kind: "emu", I2C: "emu", I2CAddr: 0x42}},
		{spec: "spidev:/dev/spidev0.0", want: Target{Kind: "spidev", SPI: "/dev/spidev0.0", I2CAddr: 0x42}},
		{spec: "spidev:/dev/spidev0.1,i2c:/dev/i2c-1@0x43", want: Target{Kind: "spidev", SPI: "/dev/spidev0.1", I2C: "/dev/i2c-1", I2CAddr: 0x43}},
		{spec: "spidev:/dev/spidev0.0,i2c:/dev/i2c-1", want: Target{Kind: "spidev", SPI: "/dev/spidev0.0", I2C: "/dev/i2c-1", I2CAddr: 0x42}},
		{spec: "ft232h", want: Target{Kind: "ft232h", SPI: "0", I2CAddr: 0x42}},
		{spec: "ft232h:1", want: Target{Kind: "ft232h", SPI: "1", I2CAddr: 0x42}},
		{spec: "usb", err: "want emu, spidev"},
		{spec: "spidev", err: "needs a device"},
		{spec: "emu:3", err: "no argument"},
		{spec: "emu,i2c:/dev/i2c-1", err: "plain"},
		{spec: "spidev:/dev/x,i2c:/dev/i2c-1@0x99", err: "7-bit"},
		{spec: "spidev:/dev/x,i2c:/dev/i2c-1,i2c:/dev/i2c-2", err: "unexpected"},
		{spec: "spidev:/dev/x,i2c:", err: "needs a bus"},
		{spec: "ft232h:x", err: "index"},
		{spec: "ft232h,i2c", err: "SPI only"},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := ParseTarget(tc.spec)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	_, _, err := Open(ctx, "emu", OpenOptions{SPIClock: 200 * physic.MegaHertz})
	require.ErrorContains(t, err, "SPI clock")
	_, _, err = Open(ctx, "nothing", OpenOptions{})
	require.Error(t, err)
	if !FT232HSupported {
		_, _, err = Open(ctx, "ft232h", OpenOptions{})
		require.ErrorContains(t, err, "-tags ftdi")
	}
	// No spidev here: a clear error from periph's registry, not a panic.
	_, _, err = Open(ctx, "spidev:/dev/spidev9.9", OpenOptions{})
	require.ErrorContains(t, err, "hw: open SPI /dev/spidev9.9")
}

func TestInfoAndRegisters(t *testing.T) {
	ctx := context.Background()
	for _, spec := range []string{"emu", "emu,i2c"} {
		t.Run(spec, func(t *testing.T) {
			b, _ := openEmu(t, spec, board.Config{Neurons: 100, Axons: 50, FIFODepth: 1024}, Options{})
			i := b.Info()
			assert.Equal(t, "1.0.0", i.VersionString())
			assert.Equal(t, []int{100, 50, 16, 256, 1024, 4096}, []int{i.MaxNeurons, i.MaxAxons, i.Groups, i.LUTEntries, i.FIFODepth, i.MaxTx})
			assert.Contains(t, i.String(), "stochastic,monitor,i2c")
			require.NoError(t, b.WriteRegs(ctx, proto.RegScratch, 0xC0FFEE))
			v, err := b.ReadReg(ctx, proto.RegScratch)
			require.NoError(t, err)
			assert.Equal(t, uint32(0xC0FFEE), v)
			vals, err := b.ReadRegs(ctx, proto.RegControl, 15)
			require.NoError(t, err)
			assert.Equal(t, uint32(0xC0FFEE), vals[proto.RegScratch-proto.RegControl])
			vals, err = b.ReadRegs(ctx, proto.RegID, 6)
			require.NoError(t, err)
			assert.Equal(t, uint32(proto.BoardID), vals[0])

			err = b.WriteRegs(ctx, proto.RegTick, 1)
			var re *RegError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, proto.RegTick, re.Reg)
			require.ErrorIs(t, err, ErrRejected)
			assert.Contains(t, err.Error(), "write register TICK (0x0016)")

			_, err = b.ReadReg(ctx, 0x0100)
			require.ErrorIs(t, err, ErrRejected)
			assert.Contains(t, err.Error(), "read register REG_0x0100 (0x0100) over "+b.bus())
		})
	}
}

func TestMemoryAccess(t *testing.T) {
	ctx := context.Background()
	b, _ := openEmu(t, "emu", board.Config{MaxTx: 256}, Options{})
	data := make([]byte, 3000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	require.NoError(t, b.WriteMem(ctx, proto.WeightAddr(3, 0), data))
	got, err := b.ReadMem(ctx, proto.WeightAddr(3, 0), len(data))
	require.NoError(t, err)
	assert.Equal(t, data, got)
	_, err = b.ReadMem(ctx, proto.MemState+proto.SizeState-4, 8)
	require.ErrorContains(t, err, "not inside one memory region")
	require.ErrorContains(t, b.WriteMem(ctx, 0x00050000, []byte{1}), "not inside one memory region")
	assert.LessOrEqual(t, b.Link().Stats().Bytes/b.Link().Stats().Tx, int64(256))
}

// sizeConn fails the test if a transaction exceeds its limit.
type sizeConn struct {
	conn.Conn
	limit, largest int
}

func (c *sizeConn) Tx(w, r []byte) error {
	c.largest = max(c.largest, len(w))
	if len(w) > c.limit {
		return fmt.Errorf("transaction of %d bytes over the %d limit", len(w), c.limit)
	}
	return c.Conn.Tx(w, r)
}

func (c *sizeConn) MaxTxSize() int { return c.limit }

func TestTransactionsStayWithinMaxTxSize(t *testing.T) {
	ctx := context.Background()
	for _, limit := range []int{64, 100, 1000, 4096} {
		emu := board.New(board.Config{})
		sc := &sizeConn{Conn: emu.Conn(), limit: limit}
		b, err := New(ctx, sc, nil, Options{})
		require.NoError(t, err)
		m, err := sim.CompileFixed(faultNet(3), 3, sim.FixedOptions{})
		require.NoError(t, err)
		require.NoError(t, b.Program(ctx, m))
		run := m.NewRun()
		gen, _ := m.NewInputs(3)
		var in []sim.FixedInput
		for range 30 {
			in = gen.Next(in[:0])
			got, err := b.Step(ctx, in)
			require.NoError(t, err)
			require.True(t, slices.Equal(run.Step(in), got))
		}
		st := make([]neuron.FixedState, m.NumNeurons())
		require.NoError(t, b.ReadState(ctx, st))
		assert.Equal(t, run.State(), st)
		assert.LessOrEqual(t, sc.largest, limit)
		t.Logf("limit %d: largest transaction %d, %d transactions", limit, sc.largest, b.Link().Stats().Tx)
	}
}

func TestTimeoutNamesTheFrame(t *testing.T) {
	ctx := context.Background()
	clk := board.NewFakeClock()
	b, emu := openEmu(t, "emu", board.Config{Clock: clk}, Options{Clock: clk, Timeout: 5 * time.Millisecond})
	emu.SetFaults(board.Faults{StallRate: 1, StallTime: time.Hour})
	start := clk.Now()
	err := b.WriteMem(ctx, proto.ParamAddr(2), make([]byte, 16))
	var fe *FrameError
	require.ErrorAs(t, err, &fe)
	require.ErrorIs(t, err, ErrTimeout)
	require.ErrorIs(t, err, proto.ErrNoAnswer)
	assert.Equal(t, proto.OpMemWrite, fe.Op)
	assert.Contains(t, err.Error(), "MEM_WRITE frame seq")
	assert.Contains(t, err.Error(), "16 bytes at 0x20010")
	assert.LessOrEqual(t, clk.Now().Sub(start), 5*time.Millisecond, "the deadline bounds the retries")
	assert.Less(t, fe.Attempts, 8)

	// Attempts bound it too.
	b, emu = openEmu(t, "emu", board.Config{Clock: clk}, Options{Clock: clk, Attempts: 3})
	emu.SetFaults(board.Faults{BusyRate: 1})
	_, err = b.Nop(ctx)
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, 3, fe.Attempts)
	assert.Contains(t, err.Error(), "busy")
	assert.Equal(t, int64(3), b.Link().Stats().Busy)
}

func TestRetriesRecoverFromStallsAndCorruption(t *testing.T) {
	ctx := context.Background()
	clk := board.NewFakeClock()
	b, emu := openEmu(t, "emu,i2c", board.Config{Clock: clk}, Options{Clock: clk})
	emu.SetFaults(board.Faults{Seed: 9, FlipRate: 5e-3, StallRate: 0.05, StallTime: 3 * time.Millisecond, NackRate: 0.2})
	for k := range 50 {
		require.NoError(t, b.WriteRegs(ctx, proto.RegScratch, uint32(k)))
		v, err := b.ReadReg(ctx, proto.RegScratch)
		require.NoError(t, err)
		require.Equal(t, uint32(k), v)
		_, err = b.Nop(ctx)
		require.NoError(t, err)
	}
	st := b.Link().Stats()
	assert.Positive(t, st.I2CErrors)
	assert.Positive(t, emu.Stats().Stalls)
	assert.Zero(t, emu.Stats().ExecutedCorrupted)
}

func TestBoardResetIsReported(t *testing.T) {
	ctx := context.Background()
	b, emu := openEmu(t, "emu", board.Config{}, Options{})
	m, err := sim.CompileFixed(sessionNet(), 1, sim.FixedOptions{})
	require.NoError(t, err)
	require.NoError(t, b.Program(ctx, m))
	_, err = b.Step(ctx, nil)
	require.NoError(t, err)
	emu.PowerCycle()
	_, err = b.Step(ctx, nil)
	require.ErrorIs(t, err, ErrBoardReset)
	assert.Contains(t, err.Error(), "reset itself")
	// Programming again recovers.
	require.NoError(t, b.Program(ctx, m))
	_, err = b.Step(ctx, nil)
	require.NoError(t, err)
}

func TestOverflowIsReported(t *testing.T) {
	ctx := context.Background()
	b, _ := openEmu(t, "emu", board.Config{FIFODepth: 1024}, Options{})
	m := &sim.FixedModel{Params: make([]neuron.FixedParams, 64), RowPtr: make([]int32, 65)}
	for i := range m.Params {
		m.Params[i] = neuron.FixedParams{Theta: -1, Output: true} // fires every tick
	}
	require.NoError(t, b.Program(ctx, m))
	err := b.Tick(ctx, 100) // 6500 events for a FIFO of 1024
	require.ErrorIs(t, err, ErrOverflow)
	var fe *FrameError
	require.ErrorAs(t, err, &fe)
	assert.Contains(t, err.Error(), "100 ticks from tick 0")
}

func TestProgramChecksCapacity(t *testing.T) {
	ctx := context.Background()
	b, _ := openEmu(t, "emu", board.Config{Neurons: 16, Axons: 4}, Options{})
	m, err := sim.CompileFixed(sessionNet(), 1, sim.FixedOptions{}) // 16 neurons, 8 axons
	require.NoError(t, err)
	require.ErrorContains(t, b.Program(ctx, m), "the board has 16 and 4")
	require.ErrorContains(t, b.Input(ctx, []sim.FixedInput{{Axon: 0, Count: 1}}), "out of range")
}

func TestContextCancel(t *testing.T) {
	b, _ := openEmu(t, "emu", board.Config{}, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := b.Nop(ctx)
	require.ErrorIs(t, err, context.Canceled)
}

// liar answers every request correctly framed but with a foreign ID.
type liar struct{ id uint32 }

func (l *liar) String() string      { return "liar" }
func (l *liar) Duplex() conn.Duplex { return conn.Full }
func (l *liar) Tx(w, r []byte) error {
	req, n, err := proto.DecodeRequest(w)
	if err != nil {
		return err
	}
	vals := []uint32{l.id, proto.Version, 256 | 256<<16, 16 | 8<<8 | 4096<<16, 4096, 7}
	resp := proto.AppendResponse(nil, proto.Response{Op: req.Op, Seq: req.Seq, Status: proto.StAck, Data: proto.AppendRegWrite(nil, 0, vals)[2:]})
	copy(r[n+proto.Gap:], resp)
	return nil
}

func TestNotABoard(t *testing.T) {
	_, err := New(context.Background(), &liar{id: 0x12345678}, nil, Options{})
	require.ErrorIs(t, err, ErrNotBoard)
	assert.Contains(t, err.Error(), "ID register reads 0x12345678")
	_, err = New(context.Background(), &conntestHalf{}, nil, Options{})
	require.ErrorContains(t, err, "half duplex")
}

type conntestHalf struct{ liar }

func (conntestHalf) Duplex() conn.Duplex { return conn.Half }

func TestI2CAddressMismatch(t *testing.T) {
	emu := board.New(board.Config{I2CAddr: 0x30})
	_, err := New(context.Background(), emu.Conn(), &i2c.Dev{Bus: emu.I2C(), Addr: 0x42}, Options{})
	require.ErrorContains(t, err, "I2C address 0x30, not 0x42")
}

func TestSequenceContinuesAcrossSessions(t *testing.T) {
	ctx := context.Background()
	emu := board.New(board.Config{})
	b1, err := New(ctx, emu.Conn(), nil, Options{})
	require.NoError(t, err)
	for range 3 {
		_, err = b1.Nop(ctx)
		require.NoError(t, err)
	}
	// A second session must not be mistaken for a retry of the first one's last frame.
	b2, err := New(ctx, emu.Conn(), nil, Options{})
	require.NoError(t, err)
	st, err := b2.Nop(ctx)
	require.NoError(t, err)
	assert.Zero(t, st&proto.StReplay)
	assert.Zero(t, emu.Stats().Replayed)
}

func TestImageRoundTrip(t *testing.T) {
	m, err := sim.CompileFixed(faultNet(2), 2, sim.FixedOptions{})
	require.NoError(t, err)
	img := ImageOf(m)
	back, err := img.Model()
	require.NoError(t, err)
	// Same behaviour tick by tick.
	r1, r2 := m.NewRun(), back.NewRun()
	gen, _ := m.NewInputs(2)
	var in []sim.FixedInput
	for tick := range 200 {
		in = gen.Next(in[:0])
		require.True(t, slices.Equal(r1.Step(in), r2.Step(in)), "tick %d", tick)
	}
	assert.Equal(t, r1.State(), r2.State())
	require.Panics(t, func() { ImageOf(&sim.FixedModel{Params: make([]neuron.FixedParams, 300)}) })
	require.ErrorContains(t, (&Image{Neurons: 999}).Write(0x50000, []byte{1}), "not inside")
}

func TestErrorsUnwrap(t *testing.T) {
	fe := &FrameError{Op: proto.OpTick, Seq: 3, What: "1 ticks", Attempts: 2, Err: ErrTimeout}
	assert.Equal(t, "hw: TICK frame seq 3 (1 ticks) after 2 attempts: timed out", fe.Error())
	re := &RegError{Reg: proto.RegSeed, Write: true, Bus: "spi", Err: fe}
	assert.Equal(t, "hw: write register SEED (0x0014) over spi: TICK frame seq 3 (1 ticks) after 2 attempts: timed out", re.Error())
	assert.True(t, errors.Is(re, ErrTimeout))
}

// ExampleOpen runs a network on the software board and checks it against the
// fixed-point simulator.
func ExampleOpen() {
	ctx := context.Background()
	b, _, err := Open(ctx, "emu", OpenOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	m, err := sim.CompileFixed(sessionNet(), 7, sim.FixedOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := b.Program(ctx, m); err != nil {
		fmt.Println(err)
		return
	}
	run := m.NewRun()
	gen, _ := m.NewInputs(7)
	var in []sim.FixedInput
	same, spikes := true, 0
	for range 100 {
		in = gen.Next(in[:0])
		got, err := b.Step(ctx, in)
		if err != nil {
			fmt.Println(err)
			return
		}
		same = same && slices.Equal(got, run.Step(in))
		spikes += len(got)
	}
	fmt.Println(b.Info().VersionString(), spikes > 0, same)
	// Output: 1.0.0 true true
}
