package trace

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"archive/zip"
	"codeberg.org/sbinet/npyio/npz"
	"compress/flate"
)

// formatTag is written in the "meta" JSON; readers accept files without it.
const formatTag = "snnsim-trace/1"

// Accepted names of the spike arrays, in order of preference.
var (
	idNames   = []string{"i", "indices", "spike_ids"}
	timeNames = []string{"t", "times", "spike_times"}
)

// metaJSON is the content of the "meta" array.
type metaJSON struct {
	Format      string     `json:"format,omitempty"`
	Source      string     `json:"source,omitempty"`
	NetworkHash string     `json:"network_hash,omitempty"`
	NumNeurons  int        `json:"num_neurons,omitempty"`
	Duration    int64      `json:"duration_steps,omitempty"`
	Populations []PopRange `json:"populations,omitempty"`
}

// ReadOptions tunes [Read] and [ReadFile].
type ReadOptions struct {
	// DT is the step length in seconds. It is required when the file has no
	// "dt" array (e.g. np.savez(f, i=..., t=...)); when the file has one, the
	// two must agree.
	DT float64
}

// ReadFile reads the NPZ trace file at path; see [Read].
func ReadFile(path string, opt ReadOptions) (*Trace, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("trace: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("trace: %w", err)
	}
	t, err := Read(f, st.Size(), opt)
	if err != nil {
		return nil, withPath(err, path)
	}
	return t, nil
}

// Read reads an NPZ trace of size bytes from r: one written by [Trace.Write],
// or one written by numpy (np.savez or np.savez_compressed) with a neuron-id
// array and a time array; see the package documentation for the accepted
// names and types. The spikes are sorted by (tick, id) and the trace is
// validated. Errors about the file's content are *[FormatError]s.
func Read(r io.ReaderAt, size int64, opt ReadOptions) (*Trace, error) {
	if !(opt.DT >= 0) || math.IsInf(opt.DT, 0) {
		return nil, fmt.Errorf("trace: ReadOptions.DT = %v, want a positive step length in seconds (or 0)", opt.DT)
	}
	zr, err := npz.NewReader(r, size)
	if err != nil {
		return nil, &FormatError{Err: fmt.Errorf("not an npz (zip) file: %w", unwrapAll(err))}
	}
	defer zr.Close()

	// Array name -> archive member. numpy names members NAME.npy.
	files := map[string]string{}
	for _, f := range zr.Keys() {
		name := strings.TrimSuffix(f, ".npy")
		if _, dup := files[name]; dup {
			return nil, formatErr(name, "appears twice in the archive")
		}
		files[name] = f
	}
	open := func(name string) (*npyEntry, error) { return openEntry(zr, name, files[name]) }

	idName, err := pick(files, idNames)
	if err != nil {
		return nil, err
	}
	tName, err := pick(files, timeNames)
	if err != nil {
		return nil, err
	}
	_, hasTick := files["tick"]
	if idName == "" {
		return nil, formatErr("", "no neuron-id array: want %s; file has %s", orList(idNames), list(files))
	}
	if tName == "" && !hasTick {
		return nil, formatErr("", "no spike-time array: want %s or \"tick\"; file has %s", orList(timeNames), list(files))
	}

	t := &Trace{}
	m := &t.Meta
	if err := readMeta(files, open, m); err != nil {
		return nil, err
	}

	// Step length: from the file and/or the options.
	if _, ok := files["dt"]; ok {
		e, err := open("dt")
		if err != nil {
			return nil, err
		}
		m.DT, err = e.scalarFloat()
		e.Close()
		if err != nil {
			return nil, err
		}
		if !(m.DT > 0) || math.IsInf(m.DT, 0) {
			return nil, formatErr("dt", "%v is not a positive step length in seconds", m.DT)
		}
		if opt.DT != 0 && math.Abs(opt.DT-m.DT) > 1e-9*max(opt.DT, m.DT) {
			return nil, formatErr("dt", "%g s differs from ReadOptions.DT = %g s", m.DT, opt.DT)
		}
	} else {
		if opt.DT == 0 {
			return nil, formatErr("dt", "missing: the file has no step length; set ReadOptions.DT (seconds)")
		}
		m.DT = opt.DT
	}

	// Neuron ids.
	e, err := open(idName)
	if err != nil {
		return nil, err
	}
	if err = e.want1D(false); err == nil {
		t.IDs = make([]int32, 0, min(e.n, 1<<20))
		err = e.ints(func(k int, v int64) error {
			switch {
			case v < 0:
				return e.errorf("negative neuron id %d at index %d", v, k)
			case v > math.MaxInt32:
				return e.errorf("neuron id %d at index %d does not fit int32", v, k)
			case m.NumNeurons > 0 && v >= int64(m.NumNeurons):
				return e.errorf("neuron id %d at index %d >= num_neurons %d", v, k, m.NumNeurons)
			}
			t.IDs = append(t.IDs, int32(v))
			return nil
		})
	}
	e.Close()
	if err != nil {
		return nil, err
	}
	n := len(t.IDs)

	// Ticks, if stored.
	if hasTick {
		e, err := open("tick")
		if err != nil {
			return nil, err
		}
		if err = e.want1D(false); err == nil && e.n != n {
			err = e.errorf("has %d elements, %q has %d", e.n, idName, n)
		}
		if err == nil {
			t.Ticks = make([]int64, 0, n)
			err = e.ints(func(k int, v int64) error {
				if v < 0 {
					return e.errorf("negative tick %d at index %d", v, k)
				}
				t.Ticks = append(t.Ticks, v)
				return nil
			})
		}
		e.Close()
		if err != nil {
			return nil, err
		}
	}

	// Times in seconds: derive the ticks, or check them.
	if tName != "" {
		e, err := open(tName)
		if err != nil {
			return nil, err
		}
		if err = e.want1D(false); err == nil && e.n != n {
			err = e.errorf("has %d elements, %q has %d", e.n, idName, n)
		}
		if err == nil {
			if !hasTick {
				t.Ticks = make([]int64, 0, n)
			}
			err = e.floats(func(k int, v float64) error {
				switch {
				case !finite(v):
					return e.errorf("time %v at index %d is not finite", v, k)
				case v < 0:
					return e.errorf("negative time %g at index %d", v, k)
				}
				x := v / m.DT
				if x >= 1<<53 {
					return e.errorf("time %g s at index %d is too large for dt = %g s", v, k, m.DT)
				}
				if !hasTick {
					t.Ticks = append(t.Ticks, int64(math.Round(x)))
				} else if math.Abs(x-float64(t.Ticks[k])) > 0.5+1e-6 {
					return e.errorf("time %g s at index %d disagrees with tick %d (dt = %g s)", v, k, t.Ticks[k], m.DT)
				}
				return nil
			})
		}
		e.Close()
		if err != nil {
			return nil, err
		}
	}

	if m.Duration > 0 {
		for k, tick := range t.Ticks {
			if tick >= m.Duration {
				return nil, formatErr("tick", "tick %d at index %d >= duration_steps %d", tick, k, m.Duration)
			}
		}
	}
	t.Sort()
	if err := t.validate(); err != nil {
		return nil, &FormatError{Err: err}
	}
	return t, nil
}

// readMeta reads the optional "seed" and "meta" arrays into m.
func readMeta(files map[string]string, open func(string) (*npyEntry, error), m *Meta) error {
	if _, ok := files["seed"]; ok {
		e, err := open("seed")
		if err != nil {
			return err
		}
		m.Seed, err = e.scalarUint()
		e.Close()
		if err != nil {
			return err
		}
	}
	if _, ok := files["meta"]; !ok {
		return nil
	}
	e, err := open("meta")
	if err != nil {
		return err
	}
	if err = e.want1D(false); err != nil {
		e.Close()
		return err
	}
	b, err := e.bytes(maxMetaBytes)
	e.Close()
	if err != nil {
		return err
	}
	var mj metaJSON
	if err := json.Unmarshal(b, &mj); err != nil {
		return formatErr("meta", "bad JSON: %w", err)
	}
	if mj.Format != "" && mj.Format != formatTag {
		return formatErr("meta", "format %q not supported (want %q)", mj.Format, formatTag)
	}
	if mj.NumNeurons < 0 || mj.NumNeurons > math.MaxInt32 {
		return formatErr("meta", "num_neurons = %d out of range", mj.NumNeurons)
	}
	if mj.Duration < 0 {
		return formatErr("meta", "duration_steps = %d is negative", mj.Duration)
	}
	for _, p := range mj.Populations {
		if p.First < 0 || p.Size < 0 || p.First > math.MaxInt32 || p.Size > math.MaxInt32 {
			return formatErr("meta", "population %q: bad range first=%d size=%d", p.Name, p.First, p.Size)
		}
	}
	m.Source, m.NetworkHash = mj.Source, mj.NetworkHash
	m.NumNeurons, m.Duration, m.Populations = mj.NumNeurons, mj.Duration, mj.Populations
	return nil
}

// pick returns the first of names present in files ("" if none), and an
// error if more than one is present.
func pick(files map[string]string, names []string) (string, error) {
	found := ""
	for _, name := range names {
		if _, ok := files[name]; !ok {
			continue
		}
		if found != "" {
			return "", formatErr("", "both %q and %q present: ambiguous", found, name)
		}
		found = name
	}
	return found, nil
}

func orList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return q[0] + " (or " + strings.Join(q[1:], ", ") + ")"
}

func list(files map[string]string) string {
	if len(files) == 0 {
		return "no arrays"
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, fmt.Sprintf("%q", n))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// unwrapAll returns the innermost error of a wrap chain (npyio wraps the
// zip package's errors in its own words).
func unwrapAll(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

// Write writes the trace to w as an NPZ archive (see the package
// documentation for the arrays). The trace must be valid.
func (t *Trace) Write(w io.Writer) error {
	if err := t.Validate(); err != nil {
		return err
	}
	m := &t.Meta
	meta, err := json.Marshal(metaJSON{
		Format:      formatTag,
		Source:      m.Source,
		NetworkHash: m.NetworkHash,
		NumNeurons:  m.NumNeurons,
		Duration:    m.Duration,
		Populations: m.Populations,
	})
	if err != nil {
		return fmt.Errorf("trace: write: %w", err)
	}
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
	var buf []byte
	n := len(t.IDs)
	for _, a := range []struct {
		name, descr, shape string
		n                  int // elements
		// chunk appends the encoding of elements [lo, hi) to b.
		chunk func(b []byte, lo, hi int) []byte
	}{
		{"i", "<i4", vecShape(n), n, func(b []byte, lo, hi int) []byte { return appendLE(b, t.IDs[lo:hi]) }},
		{"t", "<f8", vecShape(n), n, func(b []byte, lo, hi int) []byte {
			for _, tick := range t.Ticks[lo:hi] {
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(float64(tick)*m.DT))
			}
			return b
		}},
		{"tick", "<i8", vecShape(n), n, func(b []byte, lo, hi int) []byte { return appendLE(b, t.Ticks[lo:hi]) }},
		{"dt", "<f8", "()", 1, func(b []byte, _, _ int) []byte { return appendLE(b, []float64{m.DT}) }},
		{"seed", "<u8", "()", 1, func(b []byte, _, _ int) []byte { return appendLE(b, []uint64{m.Seed}) }},
		{"meta", "|u1", vecShape(len(meta)), len(meta), func(b []byte, lo, hi int) []byte { return append(b, meta[lo:hi]...) }},
	} {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: a.name + ".npy", Method: zip.Deflate})
		if err != nil {
			return fmt.Errorf("trace: write %q: %w", a.name, err)
		}
		buf = append(buf[:0], npyHeader(a.descr, a.shape)...)
		for lo := 0; ; lo += writeChunk {
			hi := min(lo+writeChunk, a.n)
			buf = a.chunk(buf, lo, hi)
			if _, err := fw.Write(buf); err != nil {
				return fmt.Errorf("trace: write %q: %w", a.name, err)
			}
			buf = buf[:0]
			if hi == a.n {
				break
			}
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("trace: write: %w", err)
	}
	return nil
}

// writeChunk is the number of elements encoded per write.
const writeChunk = 8192

// WriteFile writes the trace to path atomically: to a temporary file in the
// same directory, then renamed over path.
func (t *Trace) WriteFile(path string) (err error) {
	if err := t.Validate(); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("trace: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 256<<10)
	if err := t.Write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("trace: %w", err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("trace: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("trace: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("trace: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("trace: %w", err)
	}
	return nil
}
