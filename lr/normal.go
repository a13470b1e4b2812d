package lr

import (
	"math"
	"math/bits"
)

// Fast standard normal variates for the noise of the estimator: Marsaglia & Tsang's
// ziggurat (128 layers) on a PCG-DXSM stream held in registers. The layer index and the
// variate's value come from disjoint bits of one 64-bit draw (Doornik's fix of the
// original's correlation). It is several times faster than math/rand/v2's NormFloat64,
// which goes through a Source interface call per draw.

var zigK [128]uint32
var zigW, zigF [128]float64

// The tables of Fill32, for 25-bit values (sign and 24 bits of magnitude).
var zigK25 [128]int32
var zigW25 [128]float32

const zigR = 3.442619855899

func init() {
	const m1 = 1 << 31
	const vn = 9.91256303526217e-3
	dn, tn := zigR, zigR
	q := vn / math.Exp(-0.5*dn*dn)
	zigK[0] = uint32(dn / q * m1)
	zigK[1] = 0
	zigW[0] = q / m1
	zigW[127] = dn / m1
	zigF[0] = 1
	zigF[127] = math.Exp(-0.5 * dn * dn)
	for i := 126; i >= 1; i-- {
		dn = math.Sqrt(-2 * math.Log(vn/dn+math.Exp(-0.5*dn*dn)))
		zigK[i+1] = uint32(dn / tn * m1)
		tn = dn
		zigF[i] = math.Exp(-0.5 * dn * dn)
		zigW[i] = dn / m1
	}
	for i := range 128 {
		zigK25[i] = int32(zigK[i] >> 7)
		zigW25[i] = float32(zigW[i] * 128)
	}
}

// NormalStream is a seeded stream of standard normal variates (PCG-DXSM state).
type NormalStream struct{ hi, lo uint64 }

// NewNormalStream returns the stream of seed pair (s1, s2), as from [StreamSeed].
func NewNormalStream(s1, s2 uint64) NormalStream { return NormalStream{s1, s2} }

// Seed resets the stream.
func (s *NormalStream) Seed(s1, s2 uint64) { s.hi, s.lo = s1, s2 }

// Uint64 returns the next 64 random bits (PCG with the DXSM output, as math/rand/v2.PCG).
func (s *NormalStream) Uint64() uint64 {
	const (
		mulHi = 2549297995355413924
		mulLo = 4865540595714422341
		incHi = 6364136223846793005
		incLo = 1442695040888963407
	)
	hi, lo := bits.Mul64(s.lo, mulLo)
	hi += s.hi*mulLo + s.lo*mulHi
	lo, c := bits.Add64(lo, incLo, 0)
	hi, _ = bits.Add64(hi, incHi, c)
	s.lo, s.hi = lo, hi
	const cheapMul = 0xda942042e4dd58b5
	hi ^= hi >> 32
	hi *= cheapMul
	hi ^= hi >> (3 * 16)
	hi *= (lo | 1)
	return hi
}

// uniform returns a float64 in (0, 1).
func (s *NormalStream) uniform() float64 {
	return (float64(s.Uint64()>>11) + 0.5) / (1 << 53)
}

// Fill writes standard normal variates into dst.
func (s *NormalStream) Fill(dst []float32) {
	for i := range dst {
		u := s.Uint64()
		iz := u & 127
		hz := int32(u >> 32)
		if a := uint32(hz); (a^uint32(hz>>31))-uint32(hz>>31) < zigK[iz] {
			dst[i] = float32(float64(hz) * zigW[iz])
			continue
		}
		dst[i] = float32(s.tail(hz, iz))
	}
}

// Fill32 writes standard normal variates into dst from 32 random bits each, two per
// step of the generator: 7 bits pick the ziggurat's layer and the other 25 (disjoint)
// give the sign and 24 bits of magnitude, as many as a float32 holds. About twice as
// fast as Fill; a different stream from Fill's.
func (s *NormalStream) Fill32(dst []float32) {
	i := 0
	for ; i+2 <= len(dst); i += 2 {
		u := s.Uint64()
		w0, w1 := uint32(u), uint32(u>>32)
		iz0, iz1 := w0&127, w1&127
		hz0, hz1 := int32(w0)>>7, int32(w1)>>7
		m0, m1 := hz0>>31, hz1>>31
		if (hz0^m0)-m0 < zigK25[iz0] && (hz1^m1)-m1 < zigK25[iz1] {
			dst[i] = float32(hz0) * zigW25[iz0]
			dst[i+1] = float32(hz1) * zigW25[iz1]
			continue
		}
		dst[i] = s.normal32(w0)
		dst[i+1] = s.normal32(w1)
	}
	if i < len(dst) {
		dst[i] = s.normal32(uint32(s.Uint64()))
	}
}

// normal32 is one variate of Fill32 from the 32 bits w (further bits from the stream when
// w falls outside the layer's rectangle).
func (s *NormalStream) normal32(w uint32) float32 {
	iz := w & 127
	hz := int32(w) >> 7
	if m := hz >> 31; (hz^m)-m < zigK25[iz] {
		return float32(hz) * zigW25[iz]
	}
	return float32(s.tail(hz<<7, uint64(iz)))
}

// Normal returns one standard normal variate.
func (s *NormalStream) Normal() float64 {
	var v [1]float32
	s.Fill(v[:])
	return float64(v[0])
}

// tail handles the rare rejections of the ziggurat (about 1.2 % of draws).
func (s *NormalStream) tail(hz int32, iz uint64) float64 {
	for {
		x := float64(hz) * zigW[iz]
		if iz == 0 {
			for {
				x = -math.Log(s.uniform()) / zigR
				y := -math.Log(s.uniform())
				if y+y >= x*x {
					break
				}
			}
			if hz > 0 {
				return zigR + x
			}
			return -zigR - x
		}
		if zigF[iz]+s.uniform()*(zigF[iz-1]-zigF[iz]) < math.Exp(-0.5*x*x) {
			return x
		}
		u := s.Uint64()
		iz = u & 127
		hz = int32(u >> 32)
		if a := int64(hz); a < 0 && uint64(-a) < uint64(zigK[iz]) || a >= 0 && uint64(a) < uint64(zigK[iz]) {
			return float64(hz) * zigW[iz]
		}
	}
}
