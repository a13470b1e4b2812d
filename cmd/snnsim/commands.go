package main

import "github.com/spf13/cobra"

// subcommands lists the subcommands. Only commands that work are listed here.
func subcommands(a *App) []*cobra.Command {
	return withBoardBackend(a, withNets(a, withSNN(a, []*cobra.Command{newRunCmd(a), newBenchCmd(a), newTraceCmd(a), newTrainCmd(a), newEvalCmd(a), newAttackCmd(a), newDataCmd(a), newBoardCmd(a), newRecordCmd(a), newReplayCmd(a), newDeployCmd(a)})))
}
