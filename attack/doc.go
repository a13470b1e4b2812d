// Package attack measures adversarial robustness: FGSM and PGD (L∞, ε on the [0,1] pixel
// scale, PGD from a uniform random start with steps of ε/4), plus Gaussian-noise
// corruption as a non-adversarial baseline.
//
// [Run] builds a robustness table (clean accuracy, then each attack at each ε) in one of
// three settings kept apart, so that randomness alone is not mistaken for robustness:
//
//   - [WhiteBox]: gradients of the deterministic model, evaluated with noise off;
//   - [EOT]: the model keeps its noise at inference and the attacker averages input
//     gradients over noise draws (expectation over transformation);
//   - [Transfer]: black box, examples crafted on an independently trained surrogate.
//
// A [Model] gives logits and per-row input gradients, each deterministic or with a noise
// draw chosen by a seed; mlp.MLP is one.
package attack
