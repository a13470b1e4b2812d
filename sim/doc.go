// Package sim is snnsim's event-driven simulation engine.
//
// # Model and Run
//
// [Compile] turns an [snn.Network] into an immutable [Model]: one contiguous float32 state
// block per population and every projection in compressed sparse row (CSR) form, rows
// indexed by presynaptic neuron. [Model.NewRun] makes the mutable state of one simulation
// from a seed; any number of Runs share one Model, and [RunCopies] runs many of them side
// by side (noise copies, parameter sweeps) on goroutines.
//
// # A step
//
// Each [Run.Step] does, in this order (the order Brian2 uses, so results compare):
//
//  1. every neuron population integrates one step exactly (package neuron), tests its
//     threshold (or draws its escape-noise spike) and resets the neurons that fired;
//     neurons in their refractory period keep their membrane;
//  2. input populations emit their spikes (Poisson by geometric skipping, so the cost is
//     per spike, not per neuron per step; spike arrays by a cursor);
//  3. every spike is delivered: its CSR row is added to the targets' synaptic variable
//     (current-based: g_e or g_i; delta synapses: v), at once for delay 0, through a ring
//     of spike lists for a projection-wide delay, or through a per-population accumulator
//     ring for per-synapse delays. Delivered input acts on the membrane from the next step.
//
// # Cost
//
// Delivery costs work proportional to spikes × fan-out and nothing else. The neuron
// update is a dense pass over float32 state, vectorised with AVX2 when the binary is built
// with GOEXPERIMENT=simd (the Makefile does); the portable kernel gives bit-identical
// results (see [SIMD]). A population of quiet neurons costs one pass of cheap
// arithmetic per step and no branches.
//
// # Training hooks
//
// score.go adds what likelihood-ratio training needs (package snn/learn): per-run input
// spikes ([Run.SetInput]), a precomputed drive shared by noise copies ([Run.SetDrive],
// [Model.Drive]), the score δ = (s − p)/β of every escape-noise draw recorded while the
// run steps ([Run.RecordScore]), antithetic draws ([Run.SetAntithetic]), threshold firing
// on demand ([Run.SetDeterministic]), trainable weights ([Model.Weights]), [Run.Reset],
// and the spike-driven score accumulation ([BackFilter], [Model.AccumScore]). A Run
// without hooks pays one nil check per population and one flag test per step and gives
// the same results.
//
// # Fixed-point mode
//
// [CompileFixed] quantizes a network into the board core's integer form ([FixedModel]:
// int8 weights with a per-group shift, int16 state, shift decays, a sigmoid look-up table
// for escape noise; docs/hardware.md). A fixed-point run produces the same spikes as the
// software board and as a board that follows the spec, bit for bit, stochastic firing
// included; package hw tests this on thousands of random networks.
//
// # Determinism
//
// Every random stream derives from the run seed (and a population's own seed when it has
// one); one Run is single-threaded; parallelism is across Runs only. The same seed gives
// bit-identical spikes at any GOMAXPROCS.
package sim
