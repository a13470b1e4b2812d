// Package lr is snnsim's likelihood-ratio (LR) gradient estimator and training loop.
//
// # The estimator
//
// A network is a stack of noisy units ([Stage]): each computes a mean z = f(x; θ) (a
// [Mean]: dense layer, convolution, graph convolution), adds noise s·ε drawn from a [Law]
// and applies an [Activation], which needs no derivative. With B samples and K noise
// copies of each, the [Estimator] fills every parameter's gradient with
//
//	grad θ ≈ 1/(B·K) Σ_{n,k} (L_{n,k} − b_{n,k}) · ∇θ log p(out_{n,k} | x_{n,k}; θ)
//
// and no backward pass through other stages: for additive noise the score of a unit is
// (Score(ε)/s) ⊗ ∂z/∂θ, so Mean.AddGrad — the parameter half of a backward pass — with
// delta = c·Score(ε)/s is all a unit needs to provide. Laws: [Gaussian] (Score(ε) = ε),
// [Logistic] (2·sigmoid(ε) − 1), [Laplace] (sign ε).
//
// Work that the copies share is done once: the stages up to and including the first noisy
// one see the same input in every copy of a sample, so their mean is computed once per
// sample and their score collapses to one row per sample, (Σ_k c_k Score(ε_k)/s) ⊗ x.
// Dense units skip zero inputs.
//
// # Baselines and variance reductions
//
//   - leave-one-out baseline ([BaselineLOO]): b_{n,k} is the mean loss of the sample's
//     other copies (under antithetic pairs, of the other pairs): independent of copy k's
//     noise, hence unbiased. [BaselineClean] uses the noise-free loss.
//   - antithetic pairs ([VR].Antithetic): copies (ε, −ε). Where both see the same input the
//     pair is centred by itself: ½(L⁺ − L⁻)·Score(ε)/s ⊗ x.
//   - layer-wise injection ([VR].LayerWise): each copy is noised in one stage only; the
//     clean pass is computed once per sample and shared, and each stage's copies start
//     from its clean input, so every stage's score collapses per sample.
//   - quasi-Monte Carlo ([VR].QMC): ε = Q(u) with u from an Owen-scrambled Halton point
//     set (gonum stat/samplemv), one point per sample and copy, never the raw sequence
//     that starts at 0. One point set serves a block of consecutive steps (gonum's
//     scrambling costs a permutation per dimension and digit, whatever the number of
//     points), and each step shifts its points modulo 1 by a uniform vector of its own
//     (Cranley–Patterson rotation): every point is uniform on the cube, so the estimate is
//     unbiased and the steps' estimates are uncorrelated. Copies of a sample are
//     dependent, so QMC uses the clean baseline.
//
// Measured on an MNIST-shaped network at equal forward budget (see mlp's
// TestVarianceReductions), layer-wise injection and QMC lower the variance against plain
// Monte Carlo with its leave-one-out baseline, and antithetic pairs lower it by two orders
// of magnitude against plain Monte Carlo without a baseline — but not against the
// leave-one-out baseline when σ is small: the loss is then nearly linear in the noise,
// both members of a pair carry the same linear term, and only its even part cancels.
//
// # Determinism
//
// The noise of (stage, sample) in batch step t is a pure function of (Seed, t, stage,
// sample); work is split into fixed groups of samples and fixed blocks of parameters
// ([ParallelFor]) and every sum runs in a fixed order, so estimates are bit-identical at
// any GOMAXPROCS.
//
// # Training
//
// [Train] runs epochs of shuffled mini-batches through any [Learner] (an [Estimator], or a
// model's backpropagation) and an optimizer from package optim, evaluates after each
// epoch, checkpoints through a callback (write with [WriteFileAtomic]: a crash never
// leaves half a file) and resumes exactly from a [TrainState].
package lr
