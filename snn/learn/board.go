package learn

// Hooks for running a trained model elsewhere (package hw/deploy: the board's fixed-point
// core): the input encoding a model draws, and a float run on given input spikes that
// returns every spike of every layer, so that other engines can be fed the same input and
// compared spike by spike.

import "fmt"

// EncodeSpikes draws the Poisson input spikes of sample x as the model draws them from
// seed and coords (encode.Spikes layout: spikes of step t are ids[ptr[t]:ptr[t+1]]). With
// seed EncodeSeed and coords (row) it is the draw that Logits with noise off uses for
// row; LR training uses (LRConfig.Seed, step, sample). Direct input has no spikes (an
// error).
func (m *Model) EncodeSpikes(x []float32, seed uint64, coords ...uint64) (ptr, ids []int32, err error) {
	if m.Cfg.Input != InputPoisson {
		return nil, nil, fmt.Errorf("learn: encode spikes: input %q has no spikes (poisson has)", m.Cfg.Input)
	}
	if len(x) != m.In() {
		return nil, nil, fmt.Errorf("learn: encode spikes: %d inputs, model takes %d", len(x), m.In())
	}
	w := m.newWorker()
	m.encode(w, x, seed, coords...)
	return append([]int32(nil), w.spk.Ptr...), append([]int32(nil), w.spk.IDs...), nil
}

// LayerSpikes are the spikes of one population over a run: ids[ptr[t]:ptr[t+1]] fired
// at step t (local indices, ascending).
type LayerSpikes struct{ Ptr, IDs []int32 }

// SimulateSpikes runs the float engine on the input spikes (ptr, ids) of one sample (a
// Poisson model; EncodeSpikes's layout) and returns the spikes of populations 1..L
// (index 0 is the input itself) and the logits (noise off: readout noise left out). With
// noise false every layer fires by threshold; with noise true it fires stochastically
// from the stream of seed.
func (m *Model) SimulateSpikes(ptr, ids []int32, noise bool, seed uint64) ([]LayerSpikes, []float32, error) {
	if m.Cfg.Input != InputPoisson {
		return nil, nil, fmt.Errorf("learn: simulate spikes: input %q (want poisson)", m.Cfg.Input)
	}
	if len(ptr) != m.Cfg.Steps+1 {
		return nil, nil, fmt.Errorf("learn: simulate spikes: %d steps of input, model runs %d", len(ptr)-1, m.Cfg.Steps)
	}
	w := m.newWorker()
	w.spk.Ptr, w.spk.IDs = ptr, ids
	w.run.Reset(seed)
	m.setNoise(w, noise)
	m.computeDrive(w)
	if err := m.setDrive(w); err != nil {
		return nil, nil, err
	}
	L := m.Cfg.Layers()
	out := make([]LayerSpikes, L+1)
	out[0] = LayerSpikes{Ptr: ptr, IDs: ids}
	for pop := 1; pop <= L; pop++ {
		out[pop].Ptr = []int32{0}
	}
	clear(w.vsum)
	for range m.Cfg.Steps {
		w.run.Step()
		for pop := 1; pop <= L; pop++ {
			out[pop].IDs = append(out[pop].IDs, w.run.Fired(pop)...)
			out[pop].Ptr = append(out[pop].Ptr, int32(len(out[pop].IDs)))
		}
		m.readoutStep(w)
	}
	z := make([]float32, m.Classes())
	m.logits(z, w.vsum, nil, false)
	return out, z, nil
}

// CrossEntropy returns −log softmax(z)_y, the loss LR training minimises.
func CrossEntropy(z []float32, y int) float32 { return crossEntropy(z, y, nil) }
