package hw

import (
	"testing"

	"github.com/snnsim/snnsim/hw/proto"
	"github.com/snnsim/snnsim/sim"
)

// FuzzImage: any memory content and register values decode into a valid model (or a
// clear error) that runs without panicking — the decoder behind ReplayIntoSim.
func FuzzImage(f *testing.F) {
	m, err := sim.CompileFixed(sessionNet(), 1, sim.FixedOptions{})
	if err != nil {
		f.Fatal(err)
	}
	img := ImageOf(m)
	f.Add(img.Params[:64], img.Weights[:64], img.Shift[:32], img.LUTShift, uint16(16), uint16(8), uint32(7))
	f.Add([]byte{0xff, 0xff, 0xff, 0x7f, 0x00, 0x80, 0xff, 0xff}, []byte{0x80, 0x7f}, []byte{0xff}, []byte{0xff}, uint16(300), uint16(2), uint32(0))
	f.Fuzz(func(t *testing.T, params, weights, shift, lutShift []byte, n, a uint16, seed uint32) {
		img := NewImage()
		copy(img.Params, params)
		copy(img.Weights, weights)
		copy(img.Weights[proto.NeuronRow(0)*proto.MaxNeurons:], weights)
		copy(img.Shift, shift)
		copy(img.LUTShift, lutShift)
		img.Neurons, img.Axons, img.Seed = int(n), int(a), seed
		m, err := img.Model()
		if err != nil {
			if int(n) <= proto.MaxNeurons && int(a) <= proto.MaxAxons {
				t.Fatalf("in-range image refused: %v", err)
			}
			return
		}
		run := m.NewRun()
		in := []sim.FixedInput{}
		if m.NumAxons() > 0 {
			in = append(in, sim.FixedInput{Axon: int32(m.NumAxons() - 1), Count: 255})
		}
		for range 3 {
			run.Step(in)
		}
	})
}
