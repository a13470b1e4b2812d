package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/mlp"
)

type evalOpts struct {
	data, dataDir, format string
	maxTest, draws        int
	seed                  uint64
	sigma                 float64
}

func newEvalCmd(a *App) *cobra.Command {
	o := evalOpts{}
	c := &cobra.Command{
		Use:   "eval MODEL",
		Short: "Test accuracy of a trained model, with its noise off and on",
		Long: `eval reports the test accuracy of a model file written by snnsim train: deterministic
(noise off), and with the model's noise kept at inference (--noise-draws draws, each over
the whole test set; --sigma overrides the noise scale of every layer).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.format != "text" && o.format != "json" {
				return badInput(fmt.Errorf("eval: --format %q (want text or json)", o.format))
			}
			f, err := mlp.Load(args[0])
			if err != nil {
				return badInput(err)
			}
			m := f.Model
			data := o.data
			if data == "" {
				data = f.Info.Data
			}
			if data == "" {
				data = "mnist"
			}
			_, test, err := loadData(data, o.dataDir, 1, o.maxTest)
			if err != nil {
				return err
			}
			if test.Dim != m.In() || test.Classes != m.Classes() {
				return badInput(fmt.Errorf("eval: model %v does not fit %s (%d inputs, %d classes)", m.Sizes(), data, test.Dim, test.Classes))
			}
			if o.sigma >= 0 {
				for l := range m.Sigma {
					m.Sigma[l] = float32(o.sigma)
				}
			}
			res := struct {
				Model    string    `json:"model"`
				Data     string    `json:"data"`
				N        int       `json:"n"`
				Seed     uint64    `json:"seed"`
				Info     mlp.Info  `json:"info"`
				Sigma    []float32 `json:"sigma"`
				Clean    float64   `json:"acc"`
				Noisy    []float64 `json:"acc_noisy,omitempty"`
				NoisyAvg float64   `json:"acc_noisy_mean,omitempty"`
			}{Model: args[0], Data: data, N: test.N, Seed: o.seed, Info: f.Info, Sigma: m.Sigma}
			res.Clean = m.Accuracy(test.X, test.Y, test.N, false, 0)
			for d := range o.draws {
				acc := m.Accuracy(test.X, test.Y, test.N, true, lr.Hash(o.seed, uint64(d)))
				res.Noisy = append(res.Noisy, acc)
				res.NoisyAvg += acc / float64(o.draws)
			}
			if o.format == "json" {
				enc := json.NewEncoder(a.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}
			fmt.Fprintf(a.Out, "# snnsim eval %s seed=%d data=%s n=%d sizes=%v method=%s sigma=%v\n",
				args[0], o.seed, data, test.N, m.Sizes(), f.Info.Method, m.Sigma)
			fmt.Fprintf(a.Out, "accuracy (noise off)  %.2f%%\n", 100*res.Clean)
			if o.draws > 0 {
				fmt.Fprintf(a.Out, "accuracy (noise on)   %.2f%% (mean of %d draws)\n", 100*res.NoisyAvg, o.draws)
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&o.data, "data", "", "dataset (default: the one the model was trained on)")
	f.StringVar(&o.dataDir, "data-dir", "", "folder of the dataset files")
	f.IntVar(&o.maxTest, "max-test", 0, "use the first N test samples (0: all)")
	f.IntVar(&o.draws, "noise-draws", 1, "noise draws for the accuracy with noise on (0: skip)")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the inference noise")
	f.Float64Var(&o.sigma, "sigma", -1, "override every layer's noise scale (default: the model's)")
	f.StringVar(&o.format, "format", "text", "text or json")
	return c
}
