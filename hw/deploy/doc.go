// Package deploy puts trained spiking networks (package snn/learn) on boards that run the
// fixed-point core of docs/hardware.md, and trains them with the board in the loop.
//
// # Quantization
//
// [Quantize] maps a [learn.Model] onto one core: input pixel j is axon j, the hidden
// layers and the readout are consecutive blocks of neurons, one group each. Membranes
// are in units of 1/Units threshold (θ = reset = Units, default 1024; int16 state spans
// ±32 thresholds), decays are right shifts d = round(−log2(1 − e^{−dt/τ})) — exact when
// τ = −dt/ln(1 − 2^−d), which [SnapConfig] arranges before training ([TauForShift]:
// d = 3 ↔ 7.489 ms, d = 2 ↔ 3.476 ms at dt = 1 ms) — and a float weight w becomes
// w·Units·c accumulator units (c the float engine's coupling of the synaptic current
// into the membrane, neuron.Coupling; times a DC-gain correction when τ is not exact),
// stored as int8 with the smallest left shift per projection that fits the largest
// weight. Escape noise β becomes the group's sigmoid table of β·Units over ±8β. The
// board takes input events before tick t that the float engine delivers at the end of
// step t − 1 ([Ticks]): both reach the membrane at step t, so tick t is step t.
//
// A model that does not fit (more than the CAPS register's neurons or axons, a leaky
// readout, direct input) is refused by [CheckFit] with what to change.
//
// # Fidelity
//
// [Fidelity] runs test samples through the float engine, the fixed-point simulator and a
// board on the same input spikes and reports accuracy and spike agreement: the board and
// the fixed-point simulator must agree on every spike (they do, bit for bit); the float
// engine agrees closely (the int8 weights and the int16 state round).
//
// # Chip in the loop
//
// A [Trainer] is an lr.Learner whose forward passes run on a board ([Runner]: a
// [BoardRunner], or a [SimRunner] for the bit-exact simulator). For each sample and
// copy the board runs with its own stochastic firing (its xorshift32 seeded per copy)
// and reports every spike (every neuron is an output neuron). The membrane trajectory
// is a known function of inputs, weights and past spikes, so the host's [Mirror]
// replays the run with the board's spike decisions and recovers the exact table entry
// p behind every decision; the score δ = (s − p)/β times the doubly filtered
// presynaptic trace (with the board's decays) is the likelihood-ratio gradient, as in
// learn.LR, and no gradient flows through the chip. The float weights are the master
// copy: before every batch they are re-quantized and written back (one burst per
// source row plus the shift table).
//
// The software board's non-ideality mode (hw/board.NonIdeal: per-neuron threshold
// mismatch, weight read noise) makes the board differ from the host's mirror, as a real
// analog or mismatched core would; the mirror counts the decisions it finds impossible
// (LoopStats.Inconsistent), and training in the loop adapts the weights to the board
// that actually runs them.
package deploy
