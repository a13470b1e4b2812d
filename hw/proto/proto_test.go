package proto

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnsim/snnsim/neuron"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.txt")

func TestCRCCheckValues(t *testing.T) {
	assert.Equal(t, uint16(0x29B1), CRC16([]byte("123456789")))
	assert.Equal(t, uint8(0xF4), CRC8([]byte("123456789")))
	// The CRC over a frame including its big-endian CRC is 0.
	f := AppendRequest(nil, Request{Op: OpTick, Seq: 9, Payload: AppendTick(nil, 16, 3)})
	assert.Equal(t, uint16(0), CRC16(f))
}

type vector struct {
	name string
	b    []byte
}

func req(op Op, seq uint8, payload []byte) []byte {
	return AppendRequest(nil, Request{Op: op, Seq: seq, Payload: payload})
}

func resp(op Op, seq uint8, st Status, data []byte) []byte {
	return AppendResponse(nil, Response{Op: op, Seq: seq, Status: st, Data: data})
}

// vectors returns one golden byte vector per frame kind, event kind, memory word and
// I2C transaction of the protocol (docs/hardware.md §8 lists the same lines).
func vectors() []vector {
	par := EncodeParams(neuron.FixedParams{Theta: 4096, Bias: -3, Reset: 4096, DecayI: 2, DecayV: 4, Group: 5, Stochastic: true, Output: true})
	st := EncodeState(neuron.FixedState{I: -2, U: 1000})
	in := []Event{Spike(0, 1, 3), Spike(0, 255, 200)}
	out := []Event{Time(41), Spike(0, 1, 7), Spike(0, 1, 255), State(VarMembrane, 7, -1234)}
	ack := MakeStatus(StAck, 0, 0)
	tickTx := func() (mosi, miso []byte) {
		r := req(OpTick, 12, AppendTick(nil, 4, 1))
		rs := resp(OpTick, 12, ack, AppendEvents(nil, out[:3]))
		n := len(r) + Gap + len(rs)
		mosi = append(append([]byte{}, r...), make([]byte, n-len(r))...)
		miso = append(bytes.Repeat([]byte{Idle}, len(r)+Gap), rs...)
		return mosi, miso
	}
	mosi, miso := tickTx()
	return []vector{
		{"crc16 ascii 123456789", []byte{0x29, 0xB1}},
		{"crc8 ascii 123456789", []byte{0xF4}},
		{"req NOP seq=1", req(OpNop, 1, nil)},
		{"req REG_READ seq=2 ID count=2", req(OpRegRead, 2, AppendRegRead(nil, RegID, 2))},
		{"req REG_WRITE seq=3 SEED=0xDEADBEEF", req(OpRegWrite, 3, AppendRegWrite(nil, RegSeed, []uint32{0xDEADBEEF}))},
		{"req MEM_READ seq=4 STATE[0..1] n=8", req(OpMemRead, 4, AppendMemRead(nil, StateAddr(0), 8))},
		{"req MEM_WRITE seq=5 PARAMS[1]", req(OpMemWrite, 5, AppendMemWrite(nil, ParamAddr(1), par[:]))},
		{"req MEM_WRITE seq=6 WEIGHTS[axon 2][neuron 0..3]", req(OpMemWrite, 6, AppendMemWrite(nil, WeightAddr(2, 0), []byte{0x7F, 0x80, 0x00, 0x05}))},
		{"req INPUT seq=7 room=16 events=2", req(OpInput, 7, AppendInput(nil, 16, in))},
		{"req TICK seq=8 room=64 n=1", req(OpTick, 8, AppendTick(nil, 64, 1))},
		{"req DRAIN seq=9 room=255", req(OpDrain, 9, AppendDrain(nil, 255))},
		{"req RESET_STATE seq=10", req(OpResetState, 10, nil)},
		{"resp NOP seq=1 ACK level=0", resp(OpNop, 1, ack, nil)},
		{"resp REG_READ seq=2 ID,VERSION", resp(OpRegRead, 2, ack, AppendRegWrite(nil, 0, []uint32{BoardID, Version})[2:])},
		{"resp REG_WRITE seq=3 ACK", resp(OpRegWrite, 3, ack, nil)},
		{"resp MEM_READ seq=4 state", resp(OpMemRead, 4, ack, append(st[:], st[:]...))},
		{"resp MEM_WRITE seq=5 ACK", resp(OpMemWrite, 5, ack, nil)},
		{"resp INPUT seq=7 ACK events=0", resp(OpInput, 7, ack, nil)},
		{"resp TICK seq=8 ACK events=4", resp(OpTick, 8, ack, AppendEvents(nil, out))},
		{"resp DRAIN seq=9 ACK|MORE level=300 events=1", resp(OpDrain, 9, MakeStatus(StAck|StMore, 0, 300), AppendEvents(nil, out[:1]))},
		{"resp RESET_STATE seq=10 ACK", resp(OpResetState, 10, ack, nil)},
		{"resp CRC_ERR seq=11", resp(OpTick, 11, MakeStatus(StCRCErr, 0, 5), nil)},
		{"resp REJECT bad address seq=12", resp(OpMemRead, 12, MakeStatus(StReject, CodeAddress, 0), nil)},
		{"resp BUSY seq=13", resp(OpTick, 13, MakeStatus(StBusy, 0, 0), nil)},
		{"resp REPLAY seq=14", resp(OpInput, 14, MakeStatus(StAck|StReplay, 0, 2), nil)},
		{"resp NOP seq=15 ACK|RESET|OVERFLOW", resp(OpNop, 15, MakeStatus(StAck|StReset|StOverflow, 0, 0), nil)},
		{"tx TICK seq=12 room=4 n=1 mosi", mosi},
		{"tx TICK seq=12 room=4 n=1 miso", miso},
		{"event SPIKE in port=0 count=1 axon=3", le32(Spike(0, 1, 3))},
		{"event SPIKE out port=0 count=1 neuron=255", le32(Spike(0, 1, 255))},
		{"event TIME tick=41", le32(Time(41))},
		{"event STATE u[7]=-1234", le32(State(VarMembrane, 7, -1234))},
		{"param theta=4096 bias=-3 reset=4096 dI=2 dV=4 group=5 stochastic output", par[:]},
		{"state I=-2 u=1000", st[:]},
		{"i2c@0x42 write SEED=0xDEADBEEF", I2CWrite(0x42, RegSeed, []uint32{0xDEADBEEF})},
		{"i2c@0x42 read-request ID count=2", I2CReadRequest(RegID, 2)},
		{"i2c@0x42 read-response ID,VERSION", I2CReadResponse(0x42, I2CReadRequest(RegID, 2), []uint32{BoardID, Version})},
	}
}

func le32(e Event) []byte { return AppendEvents(nil, []Event{e}) }

func formatVectors(vs []vector) string {
	var b strings.Builder
	b.WriteString("# snnsim wire protocol " + VersionS + ": golden byte vectors (hex).\n")
	b.WriteString("# Rewrite with: go test ./hw/proto -run TestGoldenVectors -update\n")
	for _, v := range vs {
		fmt.Fprintf(&b, "%-58s %s\n", v.name, hex.EncodeToString(v.b))
	}
	return b.String()
}

func TestGoldenVectors(t *testing.T) {
	path := filepath.Join("testdata", "vectors.txt")
	got := formatVectors(vectors())
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(want), got, "wire format changed; if intended, run with -update and bump the spec version")
	// Stable: encoding twice gives the same bytes.
	require.Equal(t, got, formatVectors(vectors()))
	// The specification quotes every vector.
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "hardware.md"))
	require.NoError(t, err)
	sc := bufio.NewScanner(bytes.NewReader(want))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		assert.Contains(t, string(doc), line, "docs/hardware.md must list the vector")
	}
}

// TestVectorsDecode decodes every request and response vector back.
func TestVectorsDecode(t *testing.T) {
	for _, v := range vectors() {
		switch {
		case strings.HasPrefix(v.name, "req "):
			r, n, err := DecodeRequest(v.b)
			require.NoError(t, err, v.name)
			assert.Equal(t, len(v.b), n)
			assert.Equal(t, v.b, AppendRequest(nil, r))
		case strings.HasPrefix(v.name, "resp "):
			r, n, err := DecodeResponse(v.b)
			require.NoError(t, err, v.name)
			assert.Equal(t, len(v.b), n)
			assert.Equal(t, v.b, AppendResponse(nil, r))
		}
	}
}

func TestDecodeRequestErrors(t *testing.T) {
	good := req(OpTick, 8, AppendTick(nil, 64, 1))
	flip := append([]byte{}, good...)
	flip[5] ^= 0x10
	long := append([]byte{}, good...)
	long[2] = 0xFF
	for _, tc := range []struct {
		name string
		b    []byte
		want error
		msg  string
	}{
		{"empty", nil, ErrTruncated, "need at least 6"},
		{"short", good[:5], ErrTruncated, "need at least"},
		{"cut", good[:len(good)-1], ErrTruncated, "runs past"},
		{"length", long, ErrTruncated, "length 255"},
		{"crc", flip, ErrCRC, "request TICK seq 8: CRC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := DecodeRequest(tc.b)
			require.ErrorIs(t, err, tc.want)
			require.ErrorContains(t, err, tc.msg)
			require.ErrorContains(t, err, "proto: ")
		})
	}
	// Trailing bytes (padding) are not part of the frame.
	r, n, err := DecodeRequest(append(append([]byte{}, good...), 0, 0, 0))
	require.NoError(t, err)
	assert.Equal(t, len(good), n)
	assert.Equal(t, OpTick, r.Op)
}

func TestDecodeResponseErrors(t *testing.T) {
	good := resp(OpDrain, 3, MakeStatus(StAck, 0, 7), AppendEvents(nil, []Event{Time(1)}))
	flip := append([]byte{}, good...)
	flip[9] ^= 1
	noMark := append([]byte{}, good...)
	noMark[0] = 0x07
	short := append([]byte{}, good...)
	short[2] = 2
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"idle", bytes.Repeat([]byte{0xFF}, 20), ErrNoAnswer},
		{"short", good[:9], ErrTruncated},
		{"marker", noMark, ErrMalformed},
		{"len<4", short, ErrMalformed},
		{"cut", good[:len(good)-1], ErrTruncated},
		{"crc", flip, ErrCRC},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := DecodeResponse(tc.b)
			require.ErrorIs(t, err, tc.want)
		})
	}
}

func TestPayloadRoundTrips(t *testing.T) {
	a, n, err := ParseRegRead(AppendRegRead(nil, RegMonitor, 3))
	require.NoError(t, err)
	assert.Equal(t, RegMonitor, a)
	assert.Equal(t, 3, n)
	a, vals, err := ParseRegWrite(AppendRegWrite(nil, RegSeed, []uint32{1, 2}))
	require.NoError(t, err)
	assert.Equal(t, RegSeed, a)
	assert.Equal(t, []uint32{1, 2}, vals)
	addr, n, err := ParseMemRead(AppendMemRead(nil, MemLUT+6, 100))
	require.NoError(t, err)
	assert.Equal(t, MemLUT+6, addr)
	assert.Equal(t, 100, n)
	addr, data, err := ParseMemWrite(AppendMemWrite(nil, MemShift, []byte{1, 2, 3}))
	require.NoError(t, err)
	assert.Equal(t, MemShift, addr)
	assert.Equal(t, []byte{1, 2, 3}, data)
	room, ev, err := ParseInput(AppendInput(nil, 9, []Event{Spike(0, 2, 5)}))
	require.NoError(t, err)
	assert.Equal(t, 9, room)
	assert.Equal(t, []Event{Spike(0, 2, 5)}, ev)
	room, ticks, err := ParseTick(AppendTick(nil, 1, 1000))
	require.NoError(t, err)
	assert.Equal(t, 1, room)
	assert.Equal(t, uint32(1000), ticks)
	room, err = ParseDrain(AppendDrain(nil, 77))
	require.NoError(t, err)
	assert.Equal(t, 77, room)
	for name, f := range map[string]func() error{
		"regread len":   func() error { _, _, err := ParseRegRead([]byte{1, 2}); return err },
		"regread count": func() error { _, _, err := ParseRegRead(AppendRegRead(nil, 0, 0)); return err },
		"regwrite":      func() error { _, _, err := ParseRegWrite([]byte{1, 2, 3}); return err },
		"memread len":   func() error { _, _, err := ParseMemRead([]byte{1}); return err },
		"memread big":   func() error { _, _, err := ParseMemRead(AppendMemRead(nil, 0, MaxMemRead+1)); return err },
		"memwrite":      func() error { _, _, err := ParseMemWrite([]byte{1, 2, 3, 4}); return err },
		"input":         func() error { _, _, err := ParseInput([]byte{1, 2, 3}); return err },
		"tick zero":     func() error { _, _, err := ParseTick(AppendTick(nil, 1, 0)); return err },
		"tick len":      func() error { _, _, err := ParseTick([]byte{1}); return err },
		"drain":         func() error { _, err := ParseDrain(nil); return err },
		"events":        func() error { _, err := ParseEvents([]byte{1, 2, 3}); return err },
		"regvalues":     func() error { _, err := ParseRegValues([]byte{1, 2, 3, 4}, 2); return err },
	} {
		assert.ErrorIs(t, f(), ErrMalformed, name)
	}
}

func TestEvents(t *testing.T) {
	e := Spike(3, 7, 513)
	assert.Equal(t, KindSpike, e.Kind())
	assert.Equal(t, uint8(3), e.Port())
	assert.Equal(t, uint8(7), e.Count())
	assert.Equal(t, uint16(513), e.ID())
	assert.Equal(t, "SPIKE(port=3 count=7 id=513)", e.String())
	assert.Equal(t, uint32(5), Time(1<<28+5).Tick())
	s := State(VarMembrane, 2047, -32768)
	assert.Equal(t, []any{VarMembrane, 2047, int16(-32768)}, []any{s.Var(), s.Neuron(), s.Value()})
	assert.Equal(t, "STATE(u[2047]=-32768)", s.String())
	assert.NoError(t, s.Valid())
	assert.ErrorIs(t, Event(0).Valid(), ErrMalformed)
	assert.ErrorIs(t, Spike(0, 0, 1).Valid(), ErrMalformed)
	assert.NoError(t, Spike(0, 1, 9).ValidInput(10))
	for _, bad := range []Event{Spike(0, 1, 10), Spike(1, 1, 0), Spike(0, 0, 0), Time(3)} {
		assert.ErrorIs(t, bad.ValidInput(10), ErrMalformed, bad.String())
	}
	assert.Equal(t, "EVENT(f0000000)", Event(0xF0000000).String())
}

func TestStatus(t *testing.T) {
	s := MakeStatus(StAck|StMore, CodeAddress, 70000)
	assert.Equal(t, 65535, s.Level())
	assert.Equal(t, CodeAddress, s.Code())
	assert.Equal(t, StAck|StMore, s.Flags())
	assert.Equal(t, "ACK|MORE|code=bad address|level=65535", s.String())
}

func TestRegisters(t *testing.T) {
	prev := -1
	for _, ri := range Registers() {
		require.Greater(t, int(ri.Reg), prev, "address order")
		prev = int(ri.Reg)
		r, err := ParseReg(strings.ToLower(ri.Name))
		require.NoError(t, err)
		assert.Equal(t, ri.Reg, r)
		assert.Equal(t, ri.Name, ri.Reg.String())
	}
	r, err := ParseReg("0x11")
	require.NoError(t, err)
	assert.Equal(t, RegStatus, r)
	_, err = ParseReg("nope")
	require.ErrorContains(t, err, `"nope" is not a register`)
	assert.Equal(t, "REG_0x0F00", Reg(0xF00).String())
	assert.Equal(t, "R/W1C", W1C.String())
}

func TestMemoryMap(t *testing.T) {
	rs := Regions()
	for k := 1; k < len(rs); k++ {
		require.LessOrEqual(t, uint64(rs[k-1].Base)+uint64(rs[k-1].Size), uint64(rs[k].Base), "regions overlap")
	}
	r, ok := RegionOf(StateAddr(255), 4)
	require.True(t, ok)
	assert.Equal(t, "STATE", r.Name)
	_, ok = RegionOf(StateAddr(255), 5)
	assert.False(t, ok, "burst across a region end")
	_, ok = RegionOf(0x0003_0000, 1)
	assert.False(t, ok)
	assert.Equal(t, uint32(0x10005), WeightAddr(NeuronRow(0), 5))
	p := neuron.FixedParams{Theta: -1, Bias: 2, Reset: -32768, DecayI: 15, DecayV: 1, Group: 9, Output: true}
	b := EncodeParams(p)
	q, err := DecodeParams(b[:])
	require.NoError(t, err)
	assert.Equal(t, p, q)
	_, err = DecodeParams(b[:7])
	require.ErrorIs(t, err, ErrMalformed)
	st := make([]neuron.FixedState, 2)
	w := EncodeState(neuron.FixedState{I: -5, U: 32767})
	require.NoError(t, DecodeStates(st, append(w[:], w[:]...)))
	assert.Equal(t, neuron.FixedState{I: -5, U: 32767}, st[1])
	require.Error(t, DecodeStates(st, w[:]))
}

func TestI2C(t *testing.T) {
	w := I2CWrite(0x42, RegMonitor, []uint32{MonEnable | 3})
	reg, vals, err := ParseI2CWrite(0x42, w)
	require.NoError(t, err)
	assert.Equal(t, RegMonitor, reg)
	assert.Equal(t, []uint32{MonEnable | 3}, vals)
	_, _, err = ParseI2CWrite(0x43, w)
	require.ErrorIs(t, err, ErrCRC, "the address is covered by the CRC")
	_, _, err = ParseI2CWrite(0x42, w[:5])
	require.ErrorIs(t, err, ErrMalformed)

	rq := I2CReadRequest(RegStatus, 2)
	reg, n, err := ParseI2CReadRequest(rq)
	require.NoError(t, err)
	assert.Equal(t, RegStatus, reg)
	assert.Equal(t, 2, n)
	r := I2CReadResponse(0x42, rq, []uint32{7, 8})
	require.Len(t, r, I2CReadLen(2))
	got, err := DecodeI2CRead(0x42, rq, r)
	require.NoError(t, err)
	assert.Equal(t, []uint32{7, 8}, got)
	r[0] ^= 4
	_, err = DecodeI2CRead(0x42, rq, r)
	require.ErrorIs(t, err, ErrCRC)
	_, err = DecodeI2CRead(0x42, rq, r[:3])
	require.ErrorIs(t, err, ErrMalformed)
	_, _, err = ParseI2CReadRequest([]byte{0, 0, 17})
	require.ErrorIs(t, err, ErrMalformed)
}

func TestAppendPanicsOnOversize(t *testing.T) {
	assert.Panics(t, func() { AppendRequest(nil, Request{Payload: make([]byte, MaxPayload+1)}) })
	assert.NotPanics(t, func() { AppendRequest(nil, Request{Payload: make([]byte, MaxPayload)}) })
	assert.Equal(t, MaxTx, TxLen(MaxPayload, 0))
	assert.Equal(t, MaxTx, TxLen(6, MaxMemRead))
}

func ExampleAppendRequest() {
	f := AppendRequest(nil, Request{Op: OpTick, Seq: 8, Payload: AppendTick(nil, 64, 1)})
	fmt.Printf("% x\n", f)
	r, _, err := DecodeRequest(f)
	fmt.Println(r.Op, r.Seq, err)
	// Output:
	// 06 08 06 00 40 00 01 00 00 00 27 16
	// TICK 8 <nil>
}

func ExampleDecodeResponse() {
	b := AppendResponse(nil, Response{Op: OpDrain, Seq: 9, Status: MakeStatus(StAck, 0, 0),
		Data: AppendEvents(nil, []Event{Time(41), Spike(0, 1, 7)})})
	r, _, err := DecodeResponse(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	ev, _ := ParseEvents(r.Data)
	fmt.Println(r.Op, r.Seq, r.Status, ev)
	// Output:
	// DRAIN 9 ACK|level=0 [TIME(41) SPIKE(port=0 count=1 id=7)]
}

var errSink error

func BenchmarkCRC16(b *testing.B) {
	buf := make([]byte, MaxTx)
	b.SetBytes(MaxTx)
	for range b.N {
		if CRC16(buf) == 1 {
			errSink = errors.New("x")
		}
	}
}
