package cnn

import "github.com/snnsim/snnsim/optim"

func optimAdam(lr float32) optim.Optimizer { return optim.NewAdam(lr) }
