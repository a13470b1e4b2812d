package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
	"golang.org/x/term"
)

// App carries what every subcommand shares: output streams, the logger and the settings
// that come from --config, SNNSIM_* environment variables and flags.
type App struct {
	Out, Err io.Writer
	Log      *slog.Logger
	// Config is the parsed --config file: flag name → value, either at the top level or
	// under the subcommand's name (which wins).
	Config map[string]any
	// Interactive is true when stderr is a terminal: progress bars are shown only then.
	Interactive bool

	verbose bool
	quiet   bool
	cfgPath string
	cpuProf string
	stopCPU func() error
}

func newApp(out, errw io.Writer) *App {
	a := &App{Out: out, Err: errw}
	if f, ok := errw.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		a.Interactive = true
	}
	a.Log = slog.New(slog.NewTextHandler(errw, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return a
}

// Progress is a progress indicator for long work. Add advances it; Finish closes it.
type Progress interface {
	Add(n int) error
	Finish() error
}

type noProgress struct{}

func (noProgress) Add(int) error { return nil }
func (noProgress) Finish() error { return nil }

// NewProgress returns a progress bar over total units on stderr when stderr is a terminal,
// and a no-op otherwise (scripts and CI logs stay clean).
func (a *App) NewProgress(total int64, desc string) Progress {
	if !a.Interactive || a.quiet {
		return noProgress{}
	}
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(a.Err),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionThrottle(100_000_000),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(a.Err) }),
		progressbar.OptionClearOnFinish(),
	)
}

func newRootCmd(a *App) *cobra.Command {
	root := &cobra.Command{
		Use:   "snnsim",
		Short: "Event-driven spiking network simulator with likelihood-ratio training",
		Long: `snnsim simulates spiking neural networks event by event, trains them by the
likelihood-ratio method and runs them on FPGA / neuromorphic boards.

Settings come from flags, then SNNSIM_<FLAG> environment variables (dashes become
underscores: --max-train is SNNSIM_MAX_TRAIN), then the --config YAML file (keys are flag
names, at the top level or under the subcommand's name). Flags win.

Exit codes: 0 success, 1 failure, 2 bad usage or bad input.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.setup(cmd)
		},
		PersistentPostRunE: func(*cobra.Command, []string) error { return a.stopProfile() },
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.cfgPath, "config", "", "YAML file of settings (keys are flag names)")
	pf.BoolVarP(&a.verbose, "verbose", "v", false, "log progress and details to stderr")
	pf.BoolVarP(&a.quiet, "quiet", "q", false, "no progress bars")
	pf.StringVar(&a.cpuProf, "cpuprofile", "", "write a CPU profile of the command to this file (go tool pprof)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return badInput(err) })
	root.AddCommand(subcommands(a)...)
	return root
}

// setup loads the config file and environment into flags that were not set explicitly,
// and builds the logger.
func (a *App) setup(cmd *cobra.Command) error {
	if p, ok := os.LookupEnv("SNNSIM_CONFIG"); ok && !cmd.Flags().Changed("config") {
		a.cfgPath = p
	}
	if a.cfgPath != "" {
		b, err := os.ReadFile(a.cfgPath)
		if err != nil {
			return badInput(fmt.Errorf("config: %w", err))
		}
		a.Config = map[string]any{}
		if err := yaml.Unmarshal(b, &a.Config); err != nil {
			return badInput(fmt.Errorf("config %s: %w", a.cfgPath, err))
		}
	}
	if a.verbose {
		a.Log = slog.New(slog.NewTextHandler(a.Err, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	var firstErr error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if firstErr != nil || f.Changed || f.Name == "config" || f.Name == "help" {
			return
		}
		env := "SNNSIM_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok && v != "" {
			if err := f.Value.Set(v); err != nil {
				firstErr = badInput(fmt.Errorf("%s=%q: %w", env, v, err))
			}
			return
		}
		if v, ok := a.configValue(cmd.Name(), f.Name); ok {
			if err := f.Value.Set(v); err != nil {
				firstErr = badInput(fmt.Errorf("config %s: %s: %q: %w", a.cfgPath, f.Name, v, err))
			}
		}
	})
	if firstErr != nil {
		return firstErr
	}
	return a.startProfile()
}

// startProfile starts the CPU profile of --cpuprofile; stopProfile ends it (also called
// by main when a command fails, so that a profile of a failed run is still written).
func (a *App) startProfile() error {
	if a.cpuProf == "" || a.stopCPU != nil {
		return nil
	}
	f, err := os.Create(a.cpuProf)
	if err != nil {
		return fmt.Errorf("cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("cpuprofile: %w", err)
	}
	a.stopCPU = func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}
	return nil
}

func (a *App) stopProfile() error {
	if a.stopCPU == nil {
		return nil
	}
	err := a.stopCPU()
	a.stopCPU = nil
	return err
}

func (a *App) configValue(cmdName, flag string) (string, bool) {
	if a.Config == nil {
		return "", false
	}
	if sub, ok := a.Config[cmdName].(map[string]any); ok {
		if v, ok := sub[flag]; ok {
			return configString(v), true
		}
	}
	if v, ok := a.Config[flag]; ok {
		if _, isMap := v.(map[string]any); !isMap {
			return configString(v), true
		}
	}
	return "", false
}

func configString(v any) string {
	switch x := v.(type) {
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = fmt.Sprint(e)
		}
		return strings.Join(parts, ",")
	default:
		return fmt.Sprint(v)
	}
}
