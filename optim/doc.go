// Package optim holds the optimizers that turn gradient estimates into parameter updates:
// [SGD] with momentum and [Adam]. Both work on [Param] values (a value slice and its
// gradient slice) and expose their state for checkpoints, so that a resumed run continues
// exactly where it stopped.
//
// Any estimator fills the gradients: package lr's likelihood-ratio estimator or a model's
// own backpropagation. Optimizers descend: θ ← θ − η·update(g).
package optim
