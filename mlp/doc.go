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
// gradient alike. A wide layer gathers the non-zero pattern of its input rows once per call
// (without a branch per pixel) and adds the selected weight rows (forward) or delta rows
// (gradient, through the transposed pattern) into its outputs. Narrow layers (under 32
// outputs) use dot products on a transposed copy made by Prepare. Products go through
// gonum's BLAS level 1; builds with GOEXPERIMENT=simd on amd64 hold blocks of 64 outputs
// in registers while the rows stream past (an AVX2/FMA assembly kernel, on by default when
// the CPU has AVX2 and FMA; SNNSIM_MLP_KERNEL=gonum turns it off, [Kernel] says which run).
// AVX2 versions of the level-1 kernels stay opt-in (SNNSIM_MLP_KERNEL=avx2): they did not
// beat gonum's on this project's machines. Every parallel split is fixed by the shape and
// every sum ordered: results are bit-identical at any GOMAXPROCS (and differ between the
// kernels by FMA rounding).
//
// # Files
//
// [Save] and [Load] read and write the model format of docs/model-format.md: a versioned
// magic header, a JSON description, little-endian float32 tensors and a CRC-32C; a file
// of another version or a corrupted one is an error wrapping [ErrFormat].
package mlp
