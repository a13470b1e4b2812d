package board

import (
	"math"
	"math/rand/v2"

	"github.com/snnsim/snnsim/hw/proto"
)

// NonIdeal models the analog imperfections of a real core, for experiments with models
// deployed to, or trained on, an imperfect board. A board with a zero NonIdeal is exact.
// Both effects are seeded and repeatable: the mismatch is fixed at power-on from Seed,
// the read noise is drawn from a stream that RESET_STATE reloads from (Seed, SEED), so
// that a run with the same SEED repeats exactly (as the host's seeded runs expect).
type NonIdeal struct {
	Seed uint64
	// ThetaMismatch is the relative standard deviation of a fixed per-neuron threshold
	// error: neuron i compares against θ_i·(1 + ThetaMismatch·z_i), z_i ~ N(0, 1) drawn
	// once (clamped to [0.05, 3]), for the threshold test and the sigmoid table index
	// alike, and its subtractive reset removes reset_i times the same factor (the
	// charge the threshold let through), so that its firing rate changes with it.
	ThetaMismatch float64
	// WeightMismatch is the relative standard deviation of a fixed per-synapse gain
	// error: the weight cell (row r, column c) reads as w·(1 + WeightMismatch·z_rc),
	// rounded, z_rc ~ N(0, 1) drawn once per cell.
	WeightMismatch float64
	// WeightNoise is the standard deviation, in int8 weight steps, of a Gaussian error
	// added to every weight each time it is read (rounded; nonzero weights only; the sum
	// is clamped to int8).
	WeightNoise float64
}

// Active reports whether any imperfection is switched on.
func (n *NonIdeal) Active() bool {
	return n.ThetaMismatch > 0 || n.WeightMismatch > 0 || n.WeightNoise > 0
}

// nonIdeal is the board's drawn imperfection state.
type nonIdeal struct {
	cfg        NonIdeal
	thetaScale []float64 // per neuron, 1 + σ·z
	gain       []float32 // per weight cell, 1 + σ·z (nil: none)
	noise      *rand.Rand
}

func newNonIdeal(cfg NonIdeal, neurons, rows int) *nonIdeal {
	if !cfg.Active() {
		return nil
	}
	ni := &nonIdeal{cfg: cfg, thetaScale: make([]float64, neurons)}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x7e7a))
	for i := range ni.thetaScale {
		ni.thetaScale[i] = min(max(1+cfg.ThetaMismatch*rng.NormFloat64(), 0.05), 3)
	}
	if cfg.WeightMismatch > 0 {
		ni.gain = make([]float32, rows*proto.MaxNeurons)
		rng := rand.New(rand.NewPCG(cfg.Seed, 0x6a1))
		for k := range ni.gain {
			ni.gain[k] = float32(1 + cfg.WeightMismatch*rng.NormFloat64())
		}
	}
	ni.noise = rand.New(rand.NewPCG(cfg.Seed, 0x4ead))
	return ni
}

// reseed restarts the read-noise stream for a run with generator seed seed.
func (ni *nonIdeal) reseed(cfgSeed uint64, seed uint32) {
	ni.noise = rand.New(rand.NewPCG(cfgSeed^uint64(seed)<<20, 0x4ead))
}

// theta returns neuron i's effective threshold (or reset amount).
func (ni *nonIdeal) theta(i int, theta int32) int32 {
	return sat16(int32(math.Round(float64(theta) * ni.thetaScale[i])))
}

// weight returns a read of the stored weight w of cell (row, col).
func (ni *nonIdeal) weight(w int8, row, col int) int32 {
	x := float64(w)
	if ni.gain != nil {
		x = math.Round(x * float64(ni.gain[row*proto.MaxNeurons+col]))
	}
	if sd := ni.cfg.WeightNoise; sd > 0 {
		x += math.Round(sd * ni.noise.NormFloat64())
	}
	return int32(min(max(x, -128), 127))
}
