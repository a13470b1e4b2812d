// Package rnn is snnsim's recurrent network — an Elman (tanh) or GRU cell over a sequence,
// with a dense readout of the last state — trainable by the likelihood-ratio method and by
// backpropagation through time.
//
// # Likelihood-ratio training without BPTT
//
// [LR] draws fresh noise ε_t of scale σ on every gate pre-activation at every step (and on
// the logits), runs the copies forward, and weights each weight's score, accumulated
// forward in time, by the copy's centred loss:
//
//	grad Wh ≈ 1/(B·K) Σ_{n,k} (L_{n,k} − b_{n,k}) Σ_t h_{t−1}ᵀ·Score(ε_t)/σ
//
// The score of a unit's noise at step t only needs what the unit received at t, so nothing
// is propagated backwards: the whole gradient is three products over all (step, copy)
// rows, hpᵀ·δ, (r⊙h)ᵀ·δ (the GRU candidate) and xᵀ·δ — and for the input weights the
// copies of a sample share x_t, so their deltas are summed first. Baselines (leave-one-out,
// clean, none) and antithetic pairs are those of lr.Estimator; layer-wise injection and
// QMC are not offered here.
//
// # BPTT
//
// [BPTT] is backpropagation through time (checked against finite differences for both
// cells, with and without a fixed noise draw); [BPTT.Pathwise] gives the gradient through
// a noise draw, the reference of the LR unbiasedness test, and [RNN.InputGrad] the input
// gradients attacks need ([RNN] implements attack.Model).
//
// # Data
//
// A sample is a row of Steps·Width values, step-major: dataset's "smnist" (28 rows of an
// MNIST digit as 28 steps of 28 values) or "pmnist".
//
// # Files
//
// [Save] and [Load] use the container of docs/model-format.md with kind "rnn" ([Arch]).
package rnn
