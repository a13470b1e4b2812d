// Package learn trains spiking networks: by the likelihood-ratio (LR) method from the
// networks' own stochastic firing ([LR]), with no surrogate gradient and no backward pass,
// and by surrogate-gradient backpropagation through time ([BPTT]) as the baseline.
//
// # The network
//
// A [Model] is a feed-forward stack of CuBa-LIF layers compiled for the event-driven
// engine (package sim): a spike-array input population "in" (its spikes are set per
// sample, no recompiling), hidden populations "h1".."hN" and a readout "out", joined by
// all-to-all projections "w1".."wL". Neurons have threshold 1, rest 0, subtractive reset
// and no refractory period (the conditions under which the score below is exact), time
// constants τm and τs, and escape noise: a neuron at membrane u fires in a step with
// probability σ((u − 1)/β). The readout is either
//
//   - leaky: a non-spiking integrator per class; logits = Scale × mean membrane over the
//     T steps, plus Gaussian noise of standard deviation σ (its noise), or
//   - count: a spiking layer with its own escape noise β_out; logits = Scale × counts.
//
// The input is rate coded (pixel j spikes with probability Rate·x_j at each step, drawn
// once per sample and shared by its copies) or injected as a direct current Gain·x.
// Weights are the engine's own per-synapse weights (sim.Model.Weights), updated in place
// between batches: training runs the same event-driven code as `snnsim run`.
//
// # The LR gradient
//
// With the spike history held fixed, ∂u_i(t)/∂w_ij = ē_j(t), a trace of presynaptic j
// filtered twice (see sim/score.go for the recursion in the engine's step order), and the
// score of a firing draw with respect to the membrane is δ_i(t) = (s_i(t) − p_i(t))/β. The
// engine records δ while it simulates ([sim.Run.RecordScore]); once each copy's loss L_k
// is known and centred by a baseline, c_k = (L_k − b_k)/(B·K), a layer's gradient is
//
//	Σ_{n,k} c_k Σ_t δ_k(t) ē_k(t)ᵀ.
//
// The first layer sees the same input in every copy, so its score collapses to
// Σ_t (Σ_k c_k δ_k(t)) ē(t)ᵀ, one product per sample; its input drive is also computed
// once per sample and shared by the copies ([sim.Run.SetDrive]). Each product is
// accumulated in time-reversed form, G = Σ_t λ(t) s(t)ᵀ with λ the backward-filtered
// δ ([sim.BackFilter]), by adding λ(t) into the gradient row of every presynaptic neuron
// that spiked at t ([sim.Model.AccumScore]): the cost is spikes × fan-out, the cost of
// delivering the spikes, instead of the T × N_pre × N_post of a dense product. The
// accumulation runs in parallel over blocks of presynaptic rows, each visiting samples
// and copies in order, so results do not depend on the number of workers.
//
// The readout's Gaussian noise is an additive noise on its logits: its score is
// ε/σ times ∂z/∂u(t) = Scale/T, the same form.
//
// # Variance reduction (LRConfig.VR, LRConfig.Baseline)
//
//   - baselines: leave-one-out over the sample's other copies (leave-one-pair-out under
//     antithetic pairs; the default, also under layer-wise injection, where the
//     threshold network's loss centres worse because it is not the stochastic
//     network's mean), the loss of the noise-free network (every layer firing by
//     threshold, no readout noise), or none.
//   - antithetic: copies in pairs of common random numbers, u and 1−u for every firing
//     draw (sim.Run.SetAntithetic), ε and −ε for the readout's Gaussian noise.
//   - layer-wise injection: a copy carries noise in one layer only; every other layer is
//     frozen to its deterministic threshold (fires when u > 1, the network used at
//     inference) and the leaky readout adds no noise. The layer's input is then the
//     clean run's, the same in every copy, so its score collapses to one product per
//     sample; a leaky readout's copies need no simulation at all (only its noise
//     differs). Each noisy layer gets K copies. The gradient so estimated is that of the
//     loss with noise in that layer alone, not of the fully stochastic network's loss
//     (the test checks exactly this).
//
// QMC does not apply to Bernoulli draws and is refused.
//
// # BPTT
//
// [BPTT] simulates the same neurons densely (same propagator, same step order), fires by
// threshold and backpropagates through time with the fast-sigmoid surrogate
// f'(x) = (k/2)/(1 + k|x|)², the derivative of the smooth step f(x) = ½(1 + kx/(1+k|x|)),
// differentiating the reset too. Its weight gradient Σ_t ḡ(t) s(t)ᵀ is accumulated
// spike-driven like the LR score. With BPTTConfig.Smooth the forward pass emits f(u − θ)
// instead of spikes and the gradient is exact: that is how the backward pass is checked
// against finite differences.
//
// # Memory
//
// Both learners simulate one sample per worker and keep, per worker, the δ (LR: K copies ×
// T × width) or the state history (BPTT: T × width per layer) of that sample only. A
// batch is simulated and accumulated in groups of 16 samples (the sums are the same, in
// the same order), so peak memory grows with neither the batch nor, beyond one group's
// score terms, the number of steps: a batch-parallel BPTT (as in PyTorch) keeps B × T ×
// width activations instead.
//
// # Attacks
//
// A Model implements attack.Model: Logits runs the engine (noise off: threshold firing on
// the fixed Poisson draw of EncodeSeed; noise on: stochastic firing and readout noise),
// InputGrad backpropagates with the surrogate through the same firing (the engine's own
// draws with noise on), and differentiates the Poisson input through its rate.
//
// # Boards
//
// [Model.EncodeSpikes] and [Model.SimulateSpikes] (board.go) expose the input draws and
// the spikes of every layer, so that package hw/deploy can feed the same input to the
// board's fixed-point core, compare spike by spike, and train with the board in the loop.
//
// # Files
//
// Models are saved in the container of mlp model files (magic "SNNSIMMD", JSON header of
// kind "snn", float32 weights and optimizer buffers, CRC-32C); [Decode] refuses a
// corrupted, truncated or inconsistent file with an error wrapping [ErrFormat].
package learn
