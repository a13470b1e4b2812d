// Package optim holds the optimizers that turn gradient estimates into parameter updates:
// [SGD] with momentum and [Adam]. Both work on [Param] values (a value slice and its
// gradient slice) and expose their state for checkpoints, so that a resumed run continues
// exactly where it stopped.
//
// [EMA] wraps either with a moving average of the weights (Polyak averaging), which
// evaluations and checkpoints use: with noisy LR gradients the live weights jitter about
// a minimum and their average lies closer to it. Its checkpoint holds the average as the
// model and the live weights in the optimizer state, and resumes exactly.
//
// Any estimator fills the gradients: package lr's likelihood-ratio estimator or a model's
// own backpropagation. Optimizers descend: θ ← θ − η·update(g).
package optim
