package snn

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Stream identifiers: the second PCG word of each random stream Build draws from. With one
// seed, connectivity, weights and delays come from three independent streams, so changing
// the weight distribution leaves the connectivity as it was.
const (
	streamConnect = 0x636f6e6e656374 // "connect"
	streamWeight  = 0x776569676874   // "weight"
	streamDelay   = 0x64656c6179     // "delay"
)

// Build draws the projection's synapses between populations of sizes nPre and nPost for a
// time step of dt ms. The random streams are seeded by p.Seed when it is non-zero, else by
// seed (the engine passes one derived from the run seed and the projection's index).
// The same arguments give the same synapses on every machine.
//
// Rows are presynaptic neurons; within a row, synapses are sorted by postsynaptic index
// (list connectivity keeps repeated pairs, in file order). Rule random draws each pair with
// probability P by geometric skipping (one exponential variate per synapse, not one draw
// per pair). For a population projecting onto itself, rules all and random leave out
// i->i unless Connect.AllowSelf. Weights are drawn from Weight (or taken from Weights) and
// delays from Delay, rounded to whole steps and clamped to [0, MaxDelaySteps]; Delays is nil
// when every delay is 0 steps.
func (p *Projection) Build(nPre, nPost int, dt float64, seed uint64) (*Synapses, error) {
	if nPre < 0 || nPost < 0 || nPre > MaxNeurons || nPost > MaxNeurons {
		return nil, fmt.Errorf("snn: build: population sizes %d -> %d out of range [0, %d]", nPre, nPost, MaxNeurons)
	}
	if !finite(dt) || dt <= 0 {
		return nil, fmt.Errorf("snn: build: dt must be > 0, got %g", dt)
	}
	if p.excludesSelf() && nPre != nPost {
		return nil, fmt.Errorf("snn: build: projection from %q onto itself with sizes %d -> %d", p.From, nPre, nPost)
	}
	pre := &Population{Name: p.From, Size: nPre}
	post := &Population{Name: p.To, Size: nPost}
	if err := p.Connect.validate(fieldPath{"connect", "connect"}, pre, post); err != nil {
		return nil, fmt.Errorf("snn: build: %s: %s", err.Path, err.Msg)
	}
	if e := p.ExpectedSynapses(nPre, nPost); e > MaxSynapses {
		return nil, fmt.Errorf("snn: build: about %.3g synapses, more than the limit %d", e, MaxSynapses)
	}
	if p.Weights != nil && len(p.Weights) != len(p.Connect.Pre) {
		return nil, fmt.Errorf("snn: build: %d weights for %d synapses", len(p.Weights), len(p.Connect.Pre))
	}
	for _, c := range []struct {
		name string
		d    Dist
	}{{"weight", p.Weight}, {"delay", p.Delay}} {
		if err := validateDist(c.d, fieldPath{c.name, c.name}, dimNone); err != nil {
			return nil, fmt.Errorf("snn: build: %s: %s", err.Path, err.Msg)
		}
	}
	if p.Seed != 0 {
		seed = p.Seed
	}
	s := &Synapses{NPre: nPre, NPost: nPost, RowPtr: make([]int32, nPre+1)}
	var perm []int // list rule: synapse k came from pair perm[k]
	switch p.Connect.Kind {
	case ConnectAll:
		s.buildAll(p.excludesSelf())
	case ConnectOneToOne:
		s.Cols = make([]int32, nPre)
		for i := range nPre {
			s.Cols[i] = int32(i)
			s.RowPtr[i+1] = int32(i + 1)
		}
	case ConnectRandom:
		if err := s.buildRandom(p.Connect.P, p.excludesSelf(), rand.New(rand.NewPCG(seed, streamConnect))); err != nil {
			return nil, err
		}
	case ConnectList:
		perm = s.buildList(p.Connect.Pre, p.Connect.Post)
	}
	s.Weights = make([]float32, len(s.Cols))
	if p.Weights != nil {
		for k, src := range perm {
			s.Weights[k] = float32(p.Weights[src])
		}
	} else {
		fill(s.Weights, p.Weight, rand.New(rand.NewPCG(seed, streamWeight)))
	}
	s.Delays = delays(len(s.Cols), p.Delay, dt, rand.New(rand.NewPCG(seed, streamDelay)))
	return s, nil
}

func (s *Synapses) buildAll(noSelf bool) {
	row := s.NPost
	if noSelf {
		row--
	}
	s.Cols = make([]int32, 0, s.NPre*row)
	for i := range s.NPre {
		for j := range s.NPost {
			if noSelf && j == i {
				continue
			}
			s.Cols = append(s.Cols, int32(j))
		}
		s.RowPtr[i+1] = int32(len(s.Cols))
	}
}

// buildRandom connects each pair with probability prob. The gap to the next connected
// column is geometric: floor(E/λ) with E ~ Exp(1) and λ = -log(1-prob), so the cost is one
// draw per synapse plus one per row.
func (s *Synapses) buildRandom(prob float64, noSelf bool, r *rand.Rand) error {
	if prob <= 0 || s.NPost == 0 {
		return nil
	}
	exp := float64(s.NPre) * float64(s.NPost) * prob
	s.Cols = make([]int32, 0, int(exp+6*math.Sqrt(exp)+16))
	scale := -1 / math.Log1p(-prob) // 1/λ; 0 when prob == 1: every gap is 0
	for i := range s.NPre {
		j := -1
		for {
			g := r.ExpFloat64() * scale
			if g >= float64(s.NPost-1-j) {
				break
			}
			j += 1 + int(g)
			if noSelf && j == i {
				continue
			}
			s.Cols = append(s.Cols, int32(j))
		}
		if len(s.Cols) > math.MaxInt32 {
			return fmt.Errorf("snn: build: more than %d synapses", math.MaxInt32)
		}
		s.RowPtr[i+1] = int32(len(s.Cols))
	}
	return nil
}

// buildList sorts the (pre, post) pairs by pre then post, keeping repeated pairs in their
// given order, and returns the permutation applied.
func (s *Synapses) buildList(pre, post []int32) []int {
	perm := make([]int, len(pre))
	for k := range perm {
		perm[k] = k
	}
	slices.SortStableFunc(perm, func(a, b int) int {
		if c := cmp.Compare(pre[a], pre[b]); c != 0 {
			return c
		}
		return cmp.Compare(post[a], post[b])
	})
	s.Cols = make([]int32, len(pre))
	for k, src := range perm {
		s.Cols[k] = post[src]
		s.RowPtr[pre[src]+1]++
	}
	for i := range s.NPre {
		s.RowPtr[i+1] += s.RowPtr[i]
	}
	return perm
}

// fill writes draws of d into dst.
func fill(dst []float32, d Dist, r *rand.Rand) {
	switch d.Kind {
	case DistUniform:
		for k := range dst {
			dst[k] = float32(d.A + (d.B-d.A)*r.Float64())
		}
	case DistNormal:
		for k := range dst {
			dst[k] = float32(d.A + d.B*r.NormFloat64())
		}
	default:
		w := float32(d.A)
		for k := range dst {
			dst[k] = w
		}
	}
}

// delays draws n delays from d (ms) in steps of dt; nil when all are 0.
func delays(n int, d Dist, dt float64, r *rand.Rand) []int32 {
	steps := func(ms float64) int32 {
		x := math.Round(ms / dt)
		return int32(min(max(x, 0), MaxDelaySteps))
	}
	var out []int32
	switch d.Kind {
	case DistUniform, DistNormal:
		out = make([]int32, n)
		for k := range out {
			if d.Kind == DistUniform {
				out[k] = steps(d.A + (d.B-d.A)*r.Float64())
			} else {
				out[k] = steps(d.A + d.B*r.NormFloat64())
			}
		}
	default:
		c := steps(d.A)
		if c == 0 {
			return nil
		}
		out = make([]int32, n)
		for k := range out {
			out[k] = c
		}
	}
	if !slices.ContainsFunc(out, func(x int32) bool { return x != 0 }) {
		return nil
	}
	return out
}
