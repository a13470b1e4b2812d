// Package cnn is snnsim's convolutional network, trainable by the likelihood-ratio
// estimator of package lr and by backpropagation.
//
// # Model
//
// A [CNN] is a stack of layers given by an architecture string ([ParseSpec]): 2-D
// convolutions with stride and zero padding ([Conv2D]), max and average pooling ([Pool]),
// and dense layers (mlp's Dense), ending in a dense classifier. Samples flow channels-last
// (HWC) between layers; the first convolution reads the dataset's channel-major (CHW)
// images directly. Convolutions and hidden dense layers take an activation of package
// mlp and a noise scale.
//
// # Likelihood-ratio training
//
// [CNN.Stages] hands the layers to lr.NewEstimator as noisy units: Gaussian (or logistic,
// Laplace) noise of scale σ on every output of every convolution — each output map — and
// of every dense layer; pooling is a noiseless stage. A convolution's score is the usual
// weight-gradient correlation with Score(ε)/σ in place of BP's δ: Conv2D.AddGrad computes
// colsᵀ·δ, the same product BP uses, so LR needs nothing else from the layer. Antithetic
// pairs, layer-wise injection, QMC noise and the baselines all come from lr.Estimator, as
// does the sharing of the first convolution between a sample's copies (its score collapses
// to one row per sample).
//
// # Position-wise injection
//
// [PosLR] (`--vr positionwise`) is this package's own estimator and the one that trains
// convolutions well. Each copy perturbs one layer, and in a convolution only the C
// channels of one output position, drawn by stratified sampling and weighted by the
// number of positions H×W; a dense layer's copies perturb its whole output. To first
// order in σ a copy's score has the variance of a copy that perturbs the whole map, but
// it costs only the recomputation of the outputs the position reaches: a few positions
// of each later convolution or pooling map, then a rank-C update of the first dense
// layer. On the CIFAR-10 stride-2 net 32 copies per layer cost what 7 layer-wise copies
// do. The estimate is the sum over positions of each position's smoothed LR gradient,
// BP's gradient as σ → 0 (tested against BP, and the incremental forward against a full
// one for every layer kind).
//
// # Backpropagation
//
// [BP] is the hand-written backward pass (checked against finite differences for every
// layer kind), also through a fixed noise draw ([BP.Pathwise], the reference of the LR
// unbiasedness test) and to the input ([CNN.InputGrad], for attacks: [CNN] implements
// attack.Model).
//
// # Kernels
//
// A convolution is im2col plus one matrix product per pass over as many samples as fit in
// 256 KiB of patches; the weight gradient is colsᵀ·δ and the input gradient δ·Wᵀ followed
// by col2im. The products are internal/nncore's AVX2/FMA assembly kernels (GOEXPERIMENT=simd
// on amd64: 42–45 GFLOP/s of CPU time per core for the forward product of a CIFAR-10
// convolution, 27–29 for the weight gradient) or gonum's blas32. Weight gradients are
// summed in eight fixed partial sums: results are bit-identical at any GOMAXPROCS.
//
// # Files
//
// [Save] and [Load] use the container of docs/model-format.md with kind "cnn"; the header's
// "arch" object ([Arch]) holds the input shape, one architecture token per layer, the
// activations, noise scales and noise law.
package cnn
