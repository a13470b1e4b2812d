// Package gnn is snnsim's graph network for semi-supervised node classification — GCN
// layers (Â = D^−½(A+I)D^−½, sparse) and GraphSAGE mean layers — trainable by the
// likelihood-ratio method and by backpropagation, full batch.
//
// # Likelihood-ratio training
//
// [LR] adds noise of scale σ to every node output of every layer. For a GCN layer
// Z = Â·H·W the score of W is (Â·H)ᵀ·(Score(ε)/σ), the parameter half of a backward pass
// and nothing more. The loss is a sum over training nodes, and the noise of node j in
// layer l reaches only the nodes within L−1−l hops, so each noise is credited with the
// centred losses of the training nodes it can reach: unbiased (the other losses are
// independent of it), and on the test graphs of this package six times less variance than
// crediting every noise with the whole graph's loss ([LR].Local). The first layer's mean
// is computed once per step and its score collapses over the copies; later layers run per
// copy, which is cheap: a copy of a two-layer GCN on Cora costs a 2708×16·16×7 product.
// Baselines (leave-one-out per training node, clean, none) and antithetic pairs work as in
// lr.Estimator.
//
// # Backpropagation and attacks
//
// [BP] is full-batch backpropagation with dropout and weight decay, checked against
// finite differences for GCN, SAGE and mixed stacks. [GNN.InputGrad] gives the gradient
// of the attacked nodes' loss with respect to every node's features, for feature-space
// FGSM / PGD (attack.FGSM and attack.PGD on the N×F feature matrix).
//
// # Data
//
// [NewGraph] prepares a dataset.Graph (Cora, CiteSeer): Â, the neighbour mean and its
// transpose, dense 0/1 features (not row-normalised, so that attacks act on the [0,1]
// scale) and the standard split.
//
// # Files
//
// [Save] and [Load] use the container of docs/model-format.md with kind "gnn" ([Arch]).
package gnn
