package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/snnsim/snnsim/attack"
	"github.com/snnsim/snnsim/mlp"
)

type attackOpts struct {
	attacks, eps, settings, surrogate string
	data, dataDir, format             string
	maxTest, eotSamples, batch        int
	seed                              uint64
	sigma                             float64
}

func newAttackCmd(a *App) *cobra.Command {
	o := attackOpts{}
	c := &cobra.Command{
		Use:   "attack MODEL",
		Short: "Robustness table of a trained model under FGSM / PGD / noise",
		Long: `attack prints a robustness table (clean accuracy, then each attack at each ε on the
[0,1] pixel scale) in up to three settings, kept apart:

  whitebox  FGSM / PGD with the deterministic model's input gradients, noise off
  eot       the model keeps its noise at inference; gradients averaged over
            --eot-samples noise draws (expectation over transformation)
  transfer  black box: examples crafted on --surrogate (an independently trained
            model of the same architecture), evaluated on MODEL with noise off

PGD starts at a uniform random point of the ε-ball and takes steps of ε/4.
--attack accepts fgsm, pgd (= pgd10,pgd40), pgdN and noise (Gaussian corruption of
standard deviation ε, a baseline).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runAttack(a, o, args[0]) },
	}
	f := c.Flags()
	f.StringVar(&o.attacks, "attack", "fgsm,pgd", "attacks: fgsm, pgd, pgdN, noise")
	f.StringVar(&o.eps, "eps", "0.05,0.1,0.2,0.3", "L∞ budgets (noise: standard deviations)")
	f.StringVar(&o.settings, "setting", "whitebox", "settings: whitebox, eot, transfer (comma-separated)")
	f.StringVar(&o.surrogate, "surrogate", "", "surrogate model file for transfer attacks")
	f.StringVar(&o.data, "data", "", "dataset (default: the one the model was trained on)")
	f.StringVar(&o.dataDir, "data-dir", "", "folder of the dataset files")
	f.IntVar(&o.maxTest, "max-test", 1000, "attack the first N test samples (0: all)")
	f.IntVar(&o.eotSamples, "eot-samples", 10, "noise draws per EOT gradient")
	f.IntVar(&o.batch, "batch", 500, "samples per chunk")
	f.Uint64Var(&o.seed, "seed", 1, "seed of random starts and noise draws")
	f.Float64Var(&o.sigma, "sigma", -1, "override the model's inference noise scale (eot)")
	f.StringVar(&o.format, "format", "text", "text or json")
	return c
}

func runAttack(a *App, o attackOpts, path string) error {
	if o.format != "text" && o.format != "json" {
		return badInput(fmt.Errorf("attack: --format %q (want text or json)", o.format))
	}
	kinds, err := attack.ParseKinds(o.attacks)
	if err != nil {
		return badInput(err)
	}
	eps, err := parseFloatList(o.eps)
	if err != nil {
		return badInput(fmt.Errorf("attack: --eps: %w", err))
	}
	var settings []attack.Setting
	for _, s := range strings.Split(o.settings, ",") {
		st, err := attack.ParseSetting(strings.TrimSpace(s))
		if err != nil {
			return badInput(err)
		}
		settings = append(settings, st)
	}
	f, err := mlp.Load(path)
	if err != nil {
		return badInput(err)
	}
	m := f.Model
	if o.sigma >= 0 {
		for l := range m.Sigma {
			m.Sigma[l] = float32(o.sigma)
		}
	}
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
		return badInput(fmt.Errorf("attack: model %v does not fit %s", m.Sizes(), data))
	}
	m.Prepare()
	var sur *mlp.MLP
	if o.surrogate != "" {
		sf, err := mlp.Load(o.surrogate)
		if err != nil {
			return badInput(err)
		}
		sur = sf.Model
		sur.Prepare()
	}
	var tables []*attack.Table
	for _, st := range settings {
		cfg := attack.Config{Kinds: kinds, Eps: eps, Setting: st, EOTSamples: o.eotSamples, Seed: o.seed, Batch: o.batch}
		if st == attack.Transfer {
			if sur == nil {
				return badInput(errors.New("attack: --setting transfer needs --surrogate MODEL"))
			}
			cfg.Surrogate = sur
		}
		t, err := attack.Run(m, test.X, test.Y, test.N, cfg)
		if err != nil {
			return err
		}
		tables = append(tables, t)
		if o.format == "text" {
			printTable(a.Out, path, f, m, t)
		}
	}
	if o.format == "json" {
		enc := json.NewEncoder(a.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"model": path, "info": f.Info, "sigma": m.Sigma, "tables": tables})
	}
	return nil
}

func printTable(w io.Writer, path string, f *mlp.File, m *mlp.MLP, t *attack.Table) {
	fmt.Fprintf(w, "# snnsim attack %s setting=%s seed=%d n=%d method=%s sigma=%v", path, t.Setting, t.Seed, t.N, f.Info.Method, m.Sigma)
	if t.EOT > 0 {
		fmt.Fprintf(w, " eot_samples=%d", t.EOT)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%-8s %7s", "attack", "clean")
	for _, e := range t.Eps {
		fmt.Fprintf(w, " %7s", fmt.Sprintf("ε=%g", e))
	}
	fmt.Fprintln(w)
	for _, r := range t.Rows {
		fmt.Fprintf(w, "%-8s %7.2f", r.Attack, 100*t.Clean)
		for _, v := range r.Acc {
			fmt.Fprintf(w, " %7.2f", 100*v)
		}
		fmt.Fprintln(w)
	}
}
