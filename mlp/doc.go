// Package mlp is the multi-layer perceptron of snnsim, trainable by the likelihood-ratio
// estimator of package lr and by backpropagation.
//
// # Model
//
// An [MLP] is a stack of [Dense] layers, each followed by an activation ([ReLU], [Sigmoid],
// [Tanh], or the non-differentiable [Step] and [Sign], which only LR can train), and a noise
// scale per layer: the noise LR trains with, optionally kept at inference. Losses:
// [CrossEntropy] and the non-differentiable [ZeroOne].
//
// # Training
//
// [MLP.Stages] hands the layers to lr.NewEstimator; [NewBP] is the hand-written
// backpropagation (checked against finite differences), which also gives the pathwise
// gradient through a fixed noise draw ([BP.Pathwise]) and input gradients for attacks
// ([MLP.InputGrad]); [NoisyBP] trains by that pathwise gradient through fresh noise, the
// control for LR training with the same noise. All implement lr.Learner, so lr.Train
// drives any of them.
//
// # Kernels
//
// [Dense] keeps its weights input-major, so a zero input skips a whole row: the first layer
// of an MNIST network costs a fifth of a dense product, for the forward pass and for the
// gradient alike. Narrow layers (under 32 outputs) use dot products on a transposed copy
// made by Prepare; large batches of the first layer are computed in one call, split into
// fixed parallel tasks. Products go through gonum's BLAS level 1; AVX2/FMA kernels exist in
// builds with GOEXPERIMENT=simd on amd64, opt-in with SNNSIM_MLP_KERNEL=avx2 ([Kernel] says
// which run), since they did not pay off on this project's machines. Every parallel split
// is fixed and every sum ordered: results are bit-identical at any GOMAXPROCS.
//
// # Files
//
// [Save] and [Load] read and write the model format of docs/model-format.md: a versioned
// magic header, a JSON description, little-endian float32 tensors and a CRC-32C; a file
// of another version or a corrupted one is an error wrapping [ErrFormat].
package mlp
