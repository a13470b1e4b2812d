package lr

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/samplemv"
)

// VR selects the variance reductions of an [Estimator]; the zero value is plain Monte Carlo.
type VR struct {
	// Antithetic draws copies in pairs (ε, −ε).
	Antithetic bool
	// LayerWise noises one stage per copy; the clean prefix is computed once per sample.
	LayerWise bool
	// QMC draws noise through the law's quantile from a scrambled Halton point set.
	QMC bool
	// PositionWise noises one position of one layer's output map per copy: a
	// model-specific estimator (cnn.NewPosLR); the generic Estimator refuses it.
	PositionWise bool
}

// ParseVR parses a comma-separated list of antithetic, layerwise and qmc ("" or "none":
// no variance reduction).
func ParseVR(s string) (VR, error) {
	var v VR
	for _, f := range strings.Split(s, ",") {
		switch strings.ToLower(strings.TrimSpace(f)) {
		case "", "none":
		case "antithetic":
			v.Antithetic = true
		case "layerwise", "layer-wise":
			v.LayerWise = true
		case "qmc":
			v.QMC = true
		case "positionwise", "position-wise":
			v.PositionWise = true
		default:
			return v, fmt.Errorf("lr: unknown variance reduction %q (want antithetic, layerwise, positionwise, qmc)", f)
		}
	}
	return v, nil
}

func (v VR) String() string {
	var s []string
	if v.Antithetic {
		s = append(s, "antithetic")
	}
	if v.LayerWise {
		s = append(s, "layerwise")
	}
	if v.QMC {
		s = append(s, "qmc")
	}
	if v.PositionWise {
		s = append(s, "positionwise")
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ",")
}

// splitmix64 is a bijective 64-bit mixer: it turns (seed, step, stage, sample) into
// independent stream identifiers.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// StreamSeed derives the PCG seed pair of one random stream from a base seed and the
// stream's coordinates (for example step, stage and sample). Streams with different
// coordinates are independent for all practical purposes.
func StreamSeed(seed uint64, coords ...uint64) (uint64, uint64) {
	h := splitmix64(seed)
	for _, c := range coords {
		h = splitmix64(h ^ c)
	}
	return h, splitmix64(h ^ 0x6c72)
}

// haltonMaxDim is the largest dimension gonum's scrambled Halton supports.
const haltonMaxDim = 1000

// unitCube is the identity quantile of the uniform law on the unit cube.
type unitCube struct{}

func (unitCube) Quantile(x, p []float64) []float64 {
	if x == nil {
		x = make([]float64, len(p))
	}
	copy(x, p)
	return x
}

// qmcNoise fills dst (points×width, row-major) with law-distributed noise from an
// Owen-scrambled Halton point set: point i is row i, coordinate j its column. Widths
// beyond Halton's 1000 dimensions are split into blocks scrambled independently. The
// scrambling makes every point uniform on the cube (no point sits at 0); u is clamped to
// (2⁻²⁴, 1−2⁻²⁴) so that the quantile stays finite.
func qmcNoise(dst []float32, points, width int, law Law, s1, s2 uint64, buf *mat.Dense) *mat.Dense {
	u := make([]float64, points*width)
	buf = haltonUniforms(u, points, width, s1, s2, buf)
	for i, v := range u {
		dst[i] = float32(law.Quantile(clampUnit(v)))
	}
	return buf
}

// clampUnit clamps u to (2⁻²⁴, 1−2⁻²⁴), where every law's quantile is finite.
func clampUnit(u float64) float64 {
	const eps = 1.0 / (1 << 24)
	return math.Min(math.Max(u, eps), 1-eps)
}

// haltonUniforms fills u (points×width, row-major) with an Owen-scrambled Halton point set
// on the unit cube (gonum stat/samplemv), split into independently scrambled blocks of
// 1000 dimensions; buf is scratch for the wide case (returned for reuse).
func haltonUniforms(u []float64, points, width int, s1, s2 uint64, buf *mat.Dense) *mat.Dense {
	u = u[:points*width]
	for j0 := 0; j0 < width; j0 += haltonMaxDim {
		d := min(haltonMaxDim, width-j0)
		src := rand.NewPCG(s1, s2^uint64(j0))
		if d == width {
			clear(u)
			samplemv.Halton{Kind: samplemv.Owen, Q: unitCube{}, Src: src}.Sample(mat.NewDense(points, d, u))
			return buf
		}
		if buf == nil {
			buf = mat.NewDense(points, d, nil)
		} else {
			buf.Reset()
			buf.ReuseAs(points, d)
			buf.Zero()
		}
		samplemv.Halton{Kind: samplemv.Owen, Q: unitCube{}, Src: src}.Sample(buf)
		for i := range points {
			copy(u[i*width+j0:i*width+j0+d], buf.RawRowView(i))
		}
	}
	return buf
}

// Hash mixes a seed and coordinates into one 64-bit seed (for derived streams).
func Hash(seed uint64, coords ...uint64) uint64 {
	h, _ := StreamSeed(seed, coords...)
	return h
}
