package hw

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"

	"github.com/snnsim/snnsim/hw/board"
	"github.com/snnsim/snnsim/hw/proto"
	"github.com/snnsim/snnsim/neuron"
	"github.com/snnsim/snnsim/sim"
	"github.com/snnsim/snnsim/snn"
)

var update = flag.Bool("update", false, "rewrite the recorded sessions in testdata/")

func TestSessionFormatRoundTrip(t *testing.T) {
	s := &Session{Meta: [][2]string{{"board", "emu"}, {"note", "two words"}}, Ops: []BusOp{
		{Bus: BusSPI, W: []byte{1, 2, 0, 0, 0, 0, 0, 0, 0, 0}, R: []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 9, 9}},
		{Bus: BusI2C, Addr: 0x42, W: []byte{0x11, 0}, R: nil},
		{Bus: BusI2C, Addr: 0x42, W: []byte{0x11, 0, 1}, R: make([]byte, 5), Err: "board: i2c: NACK"},
		{Bus: BusSPI, W: nil, R: nil},
	}}
	text := s.Marshal()
	assert.Contains(t, string(text), "spi 0102.00*8 ff*8.0909\n")
	back, err := ParseSession(text)
	require.NoError(t, err)
	assert.Equal(t, s, back)
	assert.Equal(t, "two words", back.Get("note"))
	back.Set("note", "x")
	assert.Equal(t, "x", back.Get("note"))

	dir := t.TempDir()
	for _, name := range []string{"a.bus", "a.bus.gz"} {
		p := filepath.Join(dir, name)
		require.NoError(t, s.WriteFile(p))
		got, err := ReadSessionFile(p)
		require.NoError(t, err)
		assert.Equal(t, s, got)
	}
	_, err = ReadSessionFile(filepath.Join(dir, "missing.bus"))
	require.ErrorContains(t, err, "missing.bus")
}

func TestParseSessionErrors(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"empty", "", "empty"},
		{"magic", "snnsim-bus 2\n", "line 1: not a bus session"},
		{"record", SessionMagic + "\nusb 00 00\n", `line 2: unknown record "usb"`},
		{"spi fields", SessionMagic + "\nspi 00\n", "spi wants 2 byte strings"},
		{"odd hex", SessionMagic + "\nspi 0 0\n", "even number of hex digits"},
		{"bad hex", SessionMagic + "\nspi zz zz\n", "spi write"},
		{"lengths", SessionMagic + "\nspi 00 0000\n", "full duplex"},
		{"run", SessionMagic + "\nspi 00*0 00\n", "count must be"},
		{"huge run", SessionMagic + "\nspi 00*99999999 00\n", "count must be"},
		{"run byte", SessionMagic + "\nspi 000*2 00\n", "want HH*N"},
		{"i2c addr", SessionMagic + "\ni2c zz - -\n", "not a hex address"},
		{"i2c err", SessionMagic + "\ni2c 42 - - oops\n", `only "! error text"`},
		{"meta", SessionMagic + "\n@\n", "without a key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSession([]byte(tc.text))
			require.ErrorContains(t, err, tc.want)
			require.ErrorContains(t, err, "hw: session")
		})
	}
}

// sessionNet is the small network of the recorded sessions in testdata/.
func sessionNet() *snn.Network {
	return &snn.Network{Name: "session", DT: 1, Populations: []snn.Population{
		{Name: "in", Size: 8, Model: snn.ModelPoisson, Rate: 150},
		{Name: "e", Size: 12, Model: snn.ModelCuBaLIF, Params: snn.NeuronParams{TauM: 20, TauE: 5, TauI: 8, VRest: -65,
			VThresh: -55, VReset: -65, Reset: snn.ResetSubtract, Beta: 1}, InitV: snn.Dist{Kind: snn.DistUniform, A: -65, B: -56}},
		{Name: "i", Size: 4, Model: snn.ModelLIF, Params: snn.NeuronParams{TauM: 10, VRest: -65, VThresh: -58, VReset: -65, Reset: snn.ResetSubtract}},
	}, Projections: []snn.Projection{
		{From: "in", To: "e", Connect: snn.Connect{Kind: snn.ConnectRandom, P: 0.5}, Weight: snn.Dist{Kind: snn.DistUniform, A: 2, B: 8}},
		{From: "e", To: "i", Connect: snn.Connect{Kind: snn.ConnectRandom, P: 0.5}, Weight: snn.Const(4)},
		{From: "i", To: "e", Receptor: snn.Inh, Connect: snn.Connect{Kind: snn.ConnectAll}, Weight: snn.Const(-4)},
	}}
}

// sessionScript is a recorded session's script: the driver calls it replays.
type sessionScript struct {
	spec   string
	faults board.Faults
	ticks  int
}

var sessionScripts = map[string]sessionScript{
	"clean":  {spec: "emu,i2c", ticks: 30},
	"faulty": {spec: "emu", ticks: 30, faults: board.Faults{Seed: 5, FlipRate: 1e-3, DropRate: 2e-4, DupRate: 2e-4, StallRate: 0.02, BusyRate: 0.01}},
}

// runScript programs sessionNet and runs it, monitoring a membrane and reading state and
// registers; it returns the spikes.
func runScript(ctx context.Context, b *Board, ticks int) ([]int32, error) {
	m, err := sim.CompileFixed(sessionNet(), 7, sim.FixedOptions{})
	if err != nil {
		return nil, err
	}
	if err := b.Program(ctx, m); err != nil {
		return nil, err
	}
	if err := b.Monitor(ctx, 2, true); err != nil {
		return nil, err
	}
	gen, err := m.NewInputs(7)
	if err != nil {
		return nil, err
	}
	var in []sim.FixedInput
	var all []int32
	st := make([]neuron.FixedState, m.NumNeurons())
	for tick := range ticks {
		in = gen.Next(in[:0])
		spikes, err := b.Step(ctx, in)
		if err != nil {
			return nil, err
		}
		all = append(append(all, int32(-1-tick)), spikes...)
		if tick%10 == 9 {
			if err := b.ReadState(ctx, st); err != nil {
				return nil, err
			}
			if _, err := b.ReadRegs(ctx, proto.RegPRNG, 2); err != nil {
				return nil, err
			}
		}
	}
	return all, b.Check(ctx)
}

func recordScript(t *testing.T, name string) *Session {
	sc := sessionScripts[name]
	clk := board.NewFakeClock()
	rec := &Recorder{}
	rec.Set("script", name)
	b, _, err := Open(context.Background(), sc.spec, OpenOptions{Record: rec, Options: Options{Clock: clk},
		Emu: board.Config{Neurons: 32, Axons: 16, Clock: clk, Faults: sc.faults}})
	require.NoError(t, err)
	_, err = runScript(context.Background(), b, sc.ticks)
	require.NoError(t, err)
	return rec.Session()
}

// TestRecordedSessions replays the sessions in testdata/sessions (a) into the simulator,
// which must reproduce every recorded output, and (b) through periph's spitest/i2ctest
// Playback with the driver re-running the session's script, which must send exactly the
// recorded bytes: a driver change that alters the traffic fails here. -update records
// them again on the software board.
func TestRecordedSessions(t *testing.T) {
	dir := filepath.Join("testdata", "sessions")
	if *update {
		require.NoError(t, os.MkdirAll(dir, 0o755))
		for name := range sessionScripts {
			require.NoError(t, recordScript(t, name).WriteFile(filepath.Join(dir, name+".bus")))
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.bus"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			s, err := ReadSessionFile(path)
			require.NoError(t, err)
			res, err := ReplayIntoSim(s)
			require.NoError(t, err)
			t.Logf("%+v", *res)
			require.True(t, res.OK(), "mismatches: %v", res.Details)
			assert.Positive(t, res.Ticks)
			assert.Positive(t, res.Spikes)
			assert.Positive(t, res.StateWords)
			assert.False(t, res.Incomplete)

			sc, ok := sessionScripts[s.Get("script")]
			if !ok {
				return
			}
			sp := s.SPIPlayback()
			c, err := sp.Connect(10*physic.MegaHertz, spi.Mode0, 8)
			require.NoError(t, err)
			var dev *i2c.Dev
			ip := s.I2CPlayback()
			if strings.Contains(sc.spec, "i2c") {
				dev = &i2c.Dev{Bus: ip, Addr: proto.I2CDefaultAddr}
			}
			ctx := context.Background()
			b, err := New(ctx, c, dev, Options{Clock: board.NewFakeClock()})
			require.NoError(t, err)
			_, err = runScript(ctx, b, sc.ticks)
			require.NoError(t, err)
			require.NoError(t, sp.Close(), "every recorded SPI transaction replayed")
			require.NoError(t, ip.Close(), "every recorded I2C transaction replayed")

			// The same through the Player, which also checks the order across buses.
			p := NewPlayer(s, 0)
			dev = nil
			if strings.Contains(sc.spec, "i2c") {
				dev = &i2c.Dev{Bus: p.Bus(), Addr: proto.I2CDefaultAddr}
			}
			b, err = New(ctx, p.Conn(), dev, Options{Clock: board.NewFakeClock()})
			require.NoError(t, err)
			_, err = runScript(ctx, b, sc.ticks)
			require.NoError(t, err)
			require.NoError(t, p.Close())
		})
	}
}

// TestPlaybackCatchesDriverChanges: a driver that sends anything else than what was
// recorded fails against the recording.
func TestPlaybackCatchesDriverChanges(t *testing.T) {
	s := recordScript(t, "clean")
	p := NewPlayer(s, 0)
	ctx := context.Background()
	b, err := New(ctx, p.Conn(), &i2c.Dev{Bus: p.Bus(), Addr: proto.I2CDefaultAddr}, Options{Clock: board.NewFakeClock(), Attempts: 1})
	require.NoError(t, err)
	_, err = runScript(ctx, b, 29) // one tick short: the final check comes too early
	require.ErrorContains(t, err, "NOP frame")
	require.ErrorContains(t, p.Close(), "spi wrote")

	p = NewPlayer(s, 0)
	b, err = New(ctx, p.Conn(), nil, Options{Clock: board.NewFakeClock(), Attempts: 1}) // registers over SPI instead of I2C
	require.NoError(t, err)
	_, err = runScript(ctx, b, 30)
	require.Error(t, err)
	require.ErrorContains(t, p.Close(), "spi transaction where the session has i2c")
}

// TestReplayDetectsMismatch: a session whose recorded outputs do not follow from its
// inputs (here: a weight changed in the recorded write) fails the replay.
func TestReplayDetectsMismatch(t *testing.T) {
	s := recordScript(t, "clean")
	changed := false
	for k, op := range s.Ops {
		if op.Bus != BusSPI {
			continue
		}
		req, n, err := proto.DecodeRequest(op.W)
		require.NoError(t, err)
		if req.Op != proto.OpMemWrite || changed {
			continue
		}
		addr, data, err := proto.ParseMemWrite(req.Payload)
		require.NoError(t, err)
		if addr != proto.WeightAddr(0, 0) {
			continue
		}
		data = slices.Clone(data)
		for i := range data {
			data[i] = 127
		}
		w := proto.AppendRequest(nil, proto.Request{Op: req.Op, Seq: req.Seq, Payload: proto.AppendMemWrite(nil, addr, data)})
		require.Len(t, w, n)
		s.Ops[k].W = append(w, op.W[n:]...)
		changed = true
	}
	require.True(t, changed)
	res, err := ReplayIntoSim(s)
	require.NoError(t, err)
	assert.False(t, res.OK())
	assert.NotEmpty(t, res.Details)
	t.Log(res.Details[0])
}

func TestReplayLimit(t *testing.T) {
	s := recordScript(t, "clean")
	_, err := ReplayIntoSimOpts(s, ReplayOptions{MaxTicks: 10})
	require.ErrorContains(t, err, "over the replay limit")
	res, err := ReplayIntoSimOpts(s, ReplayOptions{MaxTicks: 30})
	require.NoError(t, err)
	assert.True(t, res.OK())
}

func TestReplayRefusesMidRunWrites(t *testing.T) {
	ctx := context.Background()
	rec := &Recorder{}
	b, _, err := Open(ctx, "emu", OpenOptions{Record: rec})
	require.NoError(t, err)
	m, err := sim.CompileFixed(sessionNet(), 1, sim.FixedOptions{})
	require.NoError(t, err)
	require.NoError(t, b.Program(ctx, m))
	_, err = b.Step(ctx, nil)
	require.NoError(t, err)
	require.NoError(t, b.WriteMem(ctx, proto.WeightAddr(0, 0), []byte{1}))
	_, err = ReplayIntoSim(rec.Session())
	require.ErrorContains(t, err, "during a run")
}

func TestRecorderKeepsLimitsAndErrors(t *testing.T) {
	emu := board.New(board.Config{MaxTx: 256, Faults: board.Faults{NackRate: 1}})
	rec := &Recorder{}
	c := rec.Conn(emu.Conn())
	b, err := New(context.Background(), c, &i2c.Dev{Bus: rec.Bus(emu.I2C()), Addr: 0x42}, Options{Clock: board.NewFakeClock(), Attempts: 2})
	require.NoError(t, err)
	assert.Equal(t, 256, b.Link().MaxTx())
	_, err = b.ReadReg(context.Background(), proto.RegScratch)
	require.ErrorContains(t, err, "NACK")
	s := rec.Session()
	last := s.Ops[len(s.Ops)-1]
	assert.Equal(t, BusI2C, last.Bus)
	assert.Contains(t, last.Err, "NACK")
	// The failure replays through the Player.
	p := NewPlayer(s, 256)
	b, err = New(context.Background(), p.Conn(), &i2c.Dev{Bus: p.Bus(), Addr: 0x42}, Options{Clock: board.NewFakeClock(), Attempts: 2})
	require.NoError(t, err)
	_, err = b.ReadReg(context.Background(), proto.RegScratch)
	require.ErrorContains(t, err, "recorded error")
	require.NoError(t, p.Close())
}

// FuzzSession: the session reader and the replay into the simulator never panic on
// arbitrary files.
func FuzzSession(f *testing.F) {
	for _, name := range []string{"clean.bus", "faulty.bus"} {
		if b, err := os.ReadFile(filepath.Join("testdata", "sessions", name)); err == nil {
			lines := strings.SplitAfter(string(b), "\n")
			f.Add([]byte(strings.Join(lines[:min(len(lines), 60)], "")))
		}
	}
	f.Add([]byte(SessionMagic + "\n@ k v\nspi 00*4 ff*4\ni2c 42 1100 - ! NACK\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSession(data)
		if err != nil {
			return
		}
		back, err := ParseSession(s.Marshal())
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if len(back.Ops) != len(s.Ops) {
			t.Fatalf("round trip lost transactions")
		}
		_, _ = ReplayIntoSimOpts(s, ReplayOptions{MaxTicks: 2000})
	})
}
