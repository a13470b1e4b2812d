package hw

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/i2c"

	"github.com/snnsim/snnsim/hw/board"
	"github.com/snnsim/snnsim/hw/proto"
	"github.com/snnsim/snnsim/neuron"
	"github.com/snnsim/snnsim/sim"
	"github.com/snnsim/snnsim/snn"
)

var faultFrames = flag.Int("fault-frames", 3000, "frames of TestFaultTolerance (the documented figure uses 100000)")

// faultNet is the network of the fault-tolerance sessions: Poisson inputs, a stochastic
// cuba-lif population and a lif population with recurrent connections.
func faultNet(seed uint64) *snn.Network {
	return &snn.Network{Name: fmt.Sprint("fault-", seed), DT: 1, Populations: []snn.Population{
		{Name: "in", Size: 32, Model: snn.ModelPoisson, Rate: 80},
		{Name: "e", Size: 48, Model: snn.ModelCuBaLIF, Params: snn.NeuronParams{TauM: 20, TauE: 5, TauI: 8, VRest: -65,
			VThresh: -52, VReset: -65, Reset: snn.ResetSubtract, Beta: 1}, InitV: snn.Dist{Kind: snn.DistUniform, A: -65, B: -55}},
		{Name: "i", Size: 16, Model: snn.ModelLIF, Params: snn.NeuronParams{TauM: 10, VRest: -65, VThresh: -55, VReset: -65, Reset: snn.ResetSubtract}},
	}, Projections: []snn.Projection{
		{From: "in", To: "e", Connect: snn.Connect{Kind: snn.ConnectRandom, P: 0.3}, Weight: snn.Dist{Kind: snn.DistUniform, A: 1, B: 6}},
		{From: "e", To: "e", Connect: snn.Connect{Kind: snn.ConnectRandom, P: 0.1}, Weight: snn.Const(2)},
		{From: "e", To: "i", Connect: snn.Connect{Kind: snn.ConnectRandom, P: 0.3}, Weight: snn.Const(4)},
		{From: "i", To: "e", Receptor: snn.Inh, Connect: snn.Connect{Kind: snn.ConnectRandom, P: 0.4}, Weight: snn.Const(-6)},
	}}
}

// checkConn sits between the driver and the board and counts answers that decode
// although the board did not send them: corruption the checks let through.
type checkConn struct {
	c          conn.Conn
	b          *board.Board
	undetected int
}

func (c *checkConn) String() string      { return c.c.String() }
func (c *checkConn) Duplex() conn.Duplex { return c.c.Duplex() }
func (c *checkConn) Tx(w, r []byte) error {
	err := c.c.Tx(w, r)
	req, n, derr := proto.DecodeRequest(w)
	if err != nil || derr != nil {
		return err
	}
	off := n + proto.Gap
	if _, m, err := proto.DecodeResponse(r[off:]); err == nil {
		clean := c.b.LastAnswer()
		if !bytes.Equal(clean[off:off+m], r[off:off+m]) {
			c.undetected++
		}
	}
	_ = req
	return nil
}

type faultOutcome struct {
	sessions, ok, failed, silent int
	byCause                      map[string]int
	errors                       []string
	frames, tx                   int64
	link                         LinkStats
	board                        board.Stats
	undetected                   int
}

// runFaultSessions runs sessions of 60 ticks (inputs, ticks, drains, three state reads,
// registers over I2C in every other session) on a faulty board until frames frames
// have been exchanged, comparing each completed session with sim.FixedRun.
func runFaultSessions(t *testing.T, faults board.Faults, frames int64) faultOutcome {
	ctx := context.Background()
	out := faultOutcome{byCause: map[string]int{}}
	for s := uint64(1); out.frames < frames; s++ {
		m, err := sim.CompileFixed(faultNet(s), s, sim.FixedOptions{})
		require.NoError(t, err)
		clk := board.NewFakeClock()
		f := faults
		f.Seed = s
		emu := board.New(board.Config{Clock: clk, Faults: f})
		cc := &checkConn{c: emu.Conn(), b: emu}
		var dev *i2c.Dev
		if s%2 == 0 {
			dev = &i2c.Dev{Bus: emu.I2C(), Addr: proto.I2CDefaultAddr}
		}
		ref := m.NewRun()
		gen, err := m.NewInputs(s)
		require.NoError(t, err)
		err = func() error {
			b, err := New(ctx, cc, dev, Options{Clock: clk})
			if err != nil {
				return err
			}
			defer func() {
				st := b.Link().Stats()
				out.frames += st.Frames
				out.tx += st.Tx
				addStats(&out.link, st)
			}()
			if err := b.Program(ctx, m); err != nil {
				return err
			}
			var in []sim.FixedInput
			got := make([]neuron.FixedState, m.NumNeurons())
			silent := false
			for tick := range 60 {
				in = gen.Next(in[:0])
				spikes, err := b.Step(ctx, in)
				if err != nil {
					return err
				}
				if !slices.Equal(spikes, ref.Step(in)) {
					silent = true
				}
				if tick%20 == 19 {
					if err := b.ReadState(ctx, got); err != nil {
						return err
					}
					if _, err := b.ReadRegs(ctx, proto.RegTick, 1); err != nil {
						return err
					}
					if !slices.Equal(got, ref.State()) {
						silent = true
					}
				}
			}
			prng, err := b.ReadReg(ctx, proto.RegPRNG)
			if err != nil {
				return err
			}
			if err := b.Check(ctx); err != nil {
				return err
			}
			if silent || prng != ref.PRNG() {
				return errSilent
			}
			return nil
		}()
		out.sessions++
		out.undetected += cc.undetected
		addBoard(&out.board, emu.Stats())
		switch {
		case err == nil:
			out.ok++
		case errors.Is(err, errSilent):
			out.silent++
		default:
			out.failed++
			out.byCause[cause(err)]++
			if len(out.errors) < 5 {
				out.errors = append(out.errors, err.Error())
			}
		}
	}
	return out
}

var errSilent = errors.New("completed with wrong results")

func cause(err error) string {
	for _, e := range []error{ErrBoardReset, ErrOverflow, ErrRejected, ErrProtocol, ErrTimeout, ErrNotBoard} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return err.Error()
}

func addStats(a *LinkStats, b LinkStats) {
	a.Frames += b.Frames
	a.Tx += b.Tx
	a.Bytes += b.Bytes
	a.Retries += b.Retries
	a.NoAnswer += b.NoAnswer
	a.BadAnswer += b.BadAnswer
	a.Mismatch += b.Mismatch
	a.BoardCRC += b.BoardCRC
	a.Busy += b.Busy
	a.Replays += b.Replays
	a.TxErrors += b.TxErrors
	a.I2C += b.I2C
	a.I2CErrors += b.I2CErrors
}

func addBoard(a *board.Stats, b board.Stats) {
	a.Transactions += b.Transactions
	a.I2CTransactions += b.I2CTransactions
	a.MOSICorrupted += b.MOSICorrupted
	a.MISOCorrupted += b.MISOCorrupted
	a.I2CCorrupted += b.I2CCorrupted
	a.Stalls += b.Stalls
	a.Stalled += b.Stalled
	a.Busy += b.Busy
	a.Nacks += b.Nacks
	a.Resets += b.Resets
	a.Replayed += b.Replayed
	a.ExecutedCorrupted += b.ExecutedCorrupted
}

func (o faultOutcome) String() string {
	return fmt.Sprintf("sessions %d: %d correct, %d failed with an error %v, %d silently wrong\n"+
		"frames %d in %d SPI transactions (%d bytes each way); %d I2C transactions\n"+
		"injected: %d requests and %d answers corrupted on SPI, %d I2C transactions corrupted, %d NACKs, %d stalls (%d transactions unanswered), %d BUSY, %d resets\n"+
		"detected by the driver: %d idle answers, %d bad answers (CRC/length/marker), %d mismatched, %d request CRC errors seen by the board, %d BUSY, %d replayed answers; %d retries; %d I2C errors\n"+
		"undetected: %d corrupted requests executed, %d corrupted answers that decoded\n"+
		"first errors: %q",
		o.sessions, o.ok, o.failed, o.byCause, o.silent,
		o.frames, o.tx, o.link.Bytes, o.board.I2CTransactions,
		o.board.MOSICorrupted, o.board.MISOCorrupted, o.board.I2CCorrupted, o.board.Nacks, o.board.Stalls, o.board.Stalled, o.board.Busy, o.board.Resets,
		o.link.NoAnswer, o.link.BadAnswer, o.link.Mismatch, o.link.BoardCRC, o.link.Busy, o.link.Replays, o.link.Retries, o.link.I2CErrors,
		o.board.ExecutedCorrupted, o.undetected, o.errors)
}

// TestFaultTolerance: at a 10⁻³ byte error rate plus dropped and duplicated bytes,
// stalls, BUSY answers and I2C NACKs, every session completes with the simulator's
// spikes, state and PRNG, or fails with a clear error; nothing corrupted gets through.
// go test ./hw -run TestFaultTolerance -fault-frames=100000 -v gives the documented
// figure.
func TestFaultTolerance(t *testing.T) {
	faults := board.Faults{FlipRate: 1e-3, DropRate: 1e-4, DupRate: 1e-4, StallRate: 2e-3, StallTime: 2 * time.Millisecond,
		BusyRate: 1e-3, NackRate: 1e-3}
	o := runFaultSessions(t, faults, int64(*faultFrames))
	t.Logf("fault tolerance:\n%s", o)
	assert.Zero(t, o.silent, "silent corruptions")
	assert.Zero(t, o.board.ExecutedCorrupted, "corrupted requests executed")
	assert.Zero(t, o.undetected, "corrupted answers accepted")
	assert.Positive(t, o.board.MOSICorrupted+o.board.MISOCorrupted, "faults were injected")
	assert.Positive(t, o.link.Retries)
	assert.GreaterOrEqual(t, o.ok, o.sessions*9/10, "most sessions recover from these faults")
}

// TestFaultToleranceResets: spontaneous resets make sessions fail with ErrBoardReset,
// never complete wrongly.
func TestFaultToleranceResets(t *testing.T) {
	o := runFaultSessions(t, board.Faults{ResetRate: 2e-3, FlipRate: 1e-4}, 2000)
	t.Logf("resets:\n%s", o)
	assert.Zero(t, o.silent)
	assert.Positive(t, o.board.Resets)
	assert.Positive(t, o.byCause[ErrBoardReset.Error()])
}
