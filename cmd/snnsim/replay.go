package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/snnsim/snnsim/hw"
)

func newReplayCmd(a *App) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "replay SESSION.bus",
		Short: "Replay a recorded board session into the simulator and compare",
		Long: `replay reads a bus session recorded by "snnsim record" (on the software board
or a real one), rebuilds the board's configuration from the writes it acknowledged,
feeds the fixed-point simulator the same input events and ticks, and compares every
output the board reported: spikes of every tick, monitored state, state memory read
back, PRNG and TICK registers. It exits with status 1 if anything differs.`,
		Example: `  snnsim replay demo.bus`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := hw.ReadSessionFile(args[0])
			if err != nil {
				return badInput(err)
			}
			res, err := hw.ReplayIntoSim(s)
			if err != nil {
				return err
			}
			if err := printReplay(a.Out, args[0], s, res, format); err != nil {
				return err
			}
			if !res.OK() {
				return fmt.Errorf("replay: %d mismatches between the board and the simulator", res.Mismatches)
			}
			return nil
		},
	}
	c.Flags().StringVar(&format, "format", "text", "text or json")
	return c
}

func printReplay(w io.Writer, path string, s *hw.Session, r *hw.ReplayResult, format string) error {
	if format == "json" {
		return writeJSON(w, struct {
			Session string `json:"session"`
			Board   string `json:"board,omitempty"`
			*hw.ReplayResult
		}{path, s.Get("board"), r})
	}
	fmt.Fprintf(w, "# snnsim replay  session=%s  board=%s  transactions=%d\n", path, s.Get("board"), len(s.Ops))
	fmt.Fprintf(w, "frames %d (retried %d)  runs %d  ticks %d  input events %d  board spikes %d\n", r.Frames, r.Retried, r.Epochs, r.Ticks, r.Inputs, r.Spikes)
	fmt.Fprintf(w, "compared %d (state words %d, registers %d)  mismatches %d\n", r.Compared, r.StateWords, r.Registers, r.Mismatches)
	for _, d := range r.Details {
		fmt.Fprintf(w, "  %s\n", d)
	}
	if r.Incomplete {
		fmt.Fprintln(w, "the session ends with an unanswered frame (the recording stopped on an error)")
	}
	return nil
}
