package neuron

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSat16(t *testing.T) {
	for _, tc := range []struct {
		in   int32
		want int16
	}{{0, 0}, {32767, 32767}, {32768, 32767}, {-32768, -32768}, {-32769, -32768},
		{math.MaxInt32, 32767}, {math.MinInt32, -32768}, {-5, -5}} {
		assert.Equal(t, tc.want, Sat16(tc.in), "sat16(%d)", tc.in)
	}
}

func TestSatAdd32(t *testing.T) {
	for _, tc := range []struct{ a, b, want int32 }{
		{1, 2, 3}, {math.MaxInt32, 1, math.MaxInt32}, {math.MinInt32, -1, math.MinInt32},
		{math.MaxInt32, math.MinInt32, -1}, {-7, 3, -4},
	} {
		assert.Equal(t, tc.want, SatAdd32(tc.a, tc.b), "%d+%d", tc.a, tc.b)
	}
}

func TestContribution(t *testing.T) {
	for _, tc := range []struct {
		w     int8
		sh, c uint8
		want  int32
	}{
		{1, 0, 1, 1}, {-128, 15, 255, -255 * 128 << 15}, {127, 15, 255, 255 * 127 << 15},
		{-3, 2, 2, -24}, {5, 0, 0, 0},
	} {
		assert.Equal(t, tc.want, Contribution(tc.w, tc.sh, tc.c))
	}
	assert.Panics(t, func() { Contribution(1, 16, 1) })
}

func TestLUTIndex(t *testing.T) {
	for _, tc := range []struct {
		u, theta int16
		sh       uint8
		want     int
	}{
		{0, 0, 0, 128}, {-1, 0, 0, 127}, {127, 0, 0, 255}, {128, 0, 0, 255}, {-128, 0, 0, 0},
		{-129, 0, 0, 0}, {-1, 0, 4, 127}, {-16, 0, 4, 127}, {-17, 0, 4, 126}, {15, 0, 4, 128},
		{32767, -32768, 15, 129}, {-32768, 32767, 0, 0}, {-32768, 32767, 15, 126},
	} {
		assert.Equal(t, tc.want, LUTIndex(tc.u, tc.theta, tc.sh), "u=%d θ=%d sh=%d", tc.u, tc.theta, tc.sh)
	}
}

func TestXorShift32(t *testing.T) {
	// Marsaglia (2003), xorshift32 with (13, 17, 5) from state 1.
	x := NewXorShift32(1)
	assert.Equal(t, []uint32{270369, 67634689, 2647435461}, []uint32{x.Next(), x.Next(), x.Next()})
	z := NewXorShift32(0)
	assert.Equal(t, XorShift32(ZeroSeed), z)
	for range 1000 {
		require.NotZero(t, z.Next())
	}
}

func TestFixedStep(t *testing.T) {
	lut := LUT{}
	for k := range lut {
		lut[k] = uint16(k) << 8 // p rises with u − θ
	}
	for _, tc := range []struct {
		name   string
		p      FixedParams
		s      FixedState
		acc    int32
		draw   uint16
		want   FixedState
		spike  bool
		prob   uint16
		lutSh  uint8
		reason string
	}{
		{name: "decay", p: FixedParams{Theta: 1000, DecayI: 2, DecayV: 3}, s: FixedState{I: 100, U: 80},
			want: FixedState{I: 75, U: 80 - 10 + 75}},
		{name: "negative decay rounds toward -inf shift", p: FixedParams{Theta: 1000, DecayI: 1, DecayV: 1},
			s: FixedState{I: -1, U: -3}, want: FixedState{I: 0, U: -3 + 2 + 0}},
		{name: "positive residue sticks", p: FixedParams{Theta: 1000, DecayI: 4, DecayV: 4},
			s: FixedState{I: 15, U: 15}, want: FixedState{I: 15, U: 30}},
		{name: "dI=0 current is this tick's input", p: FixedParams{Theta: 1000, DecayV: 15},
			s: FixedState{I: 500}, acc: 7, want: FixedState{I: 7, U: 7}},
		{name: "acc saturates to int16 first", p: FixedParams{Theta: 32767, DecayI: 15, DecayV: 15},
			s: FixedState{I: 0, U: 0}, acc: 1 << 20, want: FixedState{I: 32767, U: 32767}, spike: true},
		{name: "spike and subtractive reset", p: FixedParams{Theta: 100, Reset: 100, DecayI: 15, DecayV: 15, Bias: 5},
			s: FixedState{U: 90}, acc: 10, want: FixedState{I: 10, U: 5}, spike: true},
		{name: "threshold is inclusive", p: FixedParams{Theta: 100, Reset: 40, DecayV: 15},
			s: FixedState{U: 100}, want: FixedState{U: 60}, spike: true},
		{name: "reset saturates", p: FixedParams{Theta: -32768, Reset: 32767, DecayV: 15},
			s: FixedState{U: -32768}, want: FixedState{U: -32768}, spike: true},
		{name: "stochastic fires below threshold", p: FixedParams{Theta: 100, Reset: 100, DecayV: 15, Stochastic: true},
			s: FixedState{U: 90}, draw: 0x7000, want: FixedState{U: -10}, spike: true, prob: 118 << 8},
		{name: "stochastic silent when draw high", p: FixedParams{Theta: 100, Reset: 100, DecayV: 15, Stochastic: true},
			s: FixedState{U: 90}, draw: 0x7600, want: FixedState{U: 90}, prob: 118 << 8},
		{name: "stochastic table shift", p: FixedParams{Theta: 0, Reset: 100, DecayV: 15, Stochastic: true},
			s: FixedState{U: 64}, draw: 0xffff, lutSh: 6, want: FixedState{U: 64}, prob: 129 << 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, spike, prob := tc.p.Step(tc.s, tc.acc, tc.draw, &lut, tc.lutSh)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.spike, spike)
			assert.Equal(t, tc.prob, prob)
		})
	}
}

func TestSigmoidLUT(t *testing.T) {
	l := SigmoidLUT(64, 3)
	for k := 1; k < LUTSize; k++ {
		require.GreaterOrEqual(t, l[k], l[k-1], "monotone at %d", k)
	}
	assert.Equal(t, uint16(33664), l[128]) // x = 3.5, p = σ(3.5/64) ≈ 0.5137
	assert.Less(t, l[0], uint16(100))
	assert.Greater(t, l[255], uint16(65400))
	assert.Equal(t, uint8(0), LUTShiftFor(100))
	assert.Equal(t, uint8(3), LUTShiftFor(1000))
	assert.Equal(t, uint8(15), LUTShiftFor(1e12))
}

func TestFixedParamsValid(t *testing.T) {
	assert.True(t, (&FixedParams{DecayI: 15, DecayV: 15, Group: 15}).Valid())
	assert.False(t, (&FixedParams{DecayI: 16}).Valid())
	assert.False(t, (&FixedParams{Group: 16}).Valid())
}

func ExampleFixedParams_Step() {
	p := FixedParams{Theta: 1000, Reset: 1000, DecayI: 2, DecayV: 4}
	var s FixedState
	for tick := range 6 {
		acc := int32(0)
		if tick == 0 {
			acc = 600 // one input spike
		}
		var spike bool
		s, spike, _ = p.Step(s, acc, 0, nil, 0)
		fmt.Println(tick, s.I, s.U, spike)
	}
	// Output:
	// 0 600 600 false
	// 1 450 13 true
	// 2 338 351 false
	// 3 254 584 false
	// 4 191 739 false
	// 5 144 837 false
}
