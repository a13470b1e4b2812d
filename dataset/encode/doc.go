// Package encode turns dataset samples into network input: spike trains for a simulator, or
// currents.
//
// # Encoders
//
//   - Poisson: rate coding, a seeded Bernoulli spike per step with probability
//     intensity · MaxRate · DT (the intensity itself by default).
//   - Latency: time-to-first-spike coding, one spike per input, brighter earlier.
//   - Direct: direct current injection, the sample scaled as a constant input current.
//   - SyntheticNMNIST ("synthetic-nmnist"): a simulated event camera watching a still image
//     during three saccades, ON/OFF events on a 34×34 sensor, after N-MNIST's protocol. It is
//     a model, not the recorded N-MNIST dataset, and is named so everywhere.
//
// # Output
//
// Spike encoders write into a *Spikes, destination first: the spikes of step t are
// At(t), ascending neuron ids, each at most once per step. A Spikes keeps its buffers between
// calls, so a training loop that reuses one per goroutine encodes millions of samples
// without allocating. AppendFlat gives the (tick, id) pairs a spike-source population takes.
//
// Every random draw comes from the *rand.Rand the caller passes (math/rand/v2, PCG), so an
// encoding is reproduced by its seed; deterministic encoders accept nil.
//
// Units follow snnsim: DT in milliseconds, rates in hertz.
package encode
