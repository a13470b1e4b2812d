package deploy_test

import (
	"context"
	"fmt"

	"github.com/snnsim/snnsim/hw"
	"github.com/snnsim/snnsim/hw/deploy"
	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/optim"
	"github.com/snnsim/snnsim/snn/learn"
)

// Deploy a spiking model to the software board, check its fidelity, and train it in the
// loop on the board.
func Example() {
	ctx := context.Background()
	cfg := learn.DefaultConfig([]int{16, 12, 4}, 10)
	cfg.Readout = learn.ReadoutCount
	cfg = deploy.SnapConfig(cfg) // τm 10 → 7.489 ms (d = 3), τs 5 → 3.476 ms (d = 2)
	m, err := learn.New(cfg, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _, err := hw.Open(ctx, "emu", hw.OpenOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	q, err := deploy.Quantize(m, deploy.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	runner := &deploy.BoardRunner{B: b, Verify: true}
	if err := runner.Program(ctx, q.Fixed); err != nil {
		fmt.Println(err)
		return
	}
	x := make([]float32, 4*16)
	for r := range 4 {
		for j := range 4 {
			x[r*16+4*r+j] = 1
		}
	}
	y := []uint8{0, 1, 2, 3}
	rep, err := deploy.Fidelity(ctx, m, q, runner, x, y, 4, deploy.FidelityOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d neurons, %d axons; fixed and board differ at %d of %d sample-ticks\n",
		q.Fixed.NumNeurons(), q.Fixed.NumAxons(), rep.BoardMismatches, rep.N*rep.Steps)

	// Chip in the loop: the board fires, the host scores its spikes.
	tr, err := deploy.NewTrainer(ctx, m, runner, deploy.LoopConfig{Copies: 4, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	opt, _ := optim.New("adam", 0.01)
	_, err = lr.Train(ctx, tr, opt, lr.Data{X: x, Y: y, N: 4, Dim: 16}, lr.TrainConfig{Epochs: 2, Batch: 2, Seed: 1}, lr.TrainState{})
	fmt.Println(err, tr.Stats().Runs, "board runs,", tr.Stats().Inconsistent, "impossible decisions")
	// Output:
	// 16 neurons, 16 axons; fixed and board differ at 0 of 40 sample-ticks
	// <nil> 32 board runs, 0 impossible decisions
}
