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
