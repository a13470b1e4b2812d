package dataset

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
)

// CSR is a sparse matrix in compressed sparse row form: row i's entries are at positions
// Indptr[i] to Indptr[i+1] of Indices (column numbers, ascending) and Data (values).
type CSR struct {
	Rows, Cols int
	Indptr     []int32 // Rows+1 offsets
	Indices    []int32
	Data       []float32
}

// NNZ returns the number of stored entries.
func (m *CSR) NNZ() int { return len(m.Indices) }

// Row returns row i's column numbers and values (views).
func (m *CSR) Row(i int) ([]int32, []float32) {
	lo, hi := m.Indptr[i], m.Indptr[i+1]
	return m.Indices[lo:hi:hi], m.Data[lo:hi:hi]
}

// Dense returns the matrix as a row-major Rows×Cols slice.
func (m *CSR) Dense() []float32 {
	d := make([]float32, m.Rows*m.Cols)
	for i := range m.Rows {
		idx, val := m.Row(i)
		for k, j := range idx {
			d[i*m.Cols+int(j)] += val[k]
		}
	}
	return d
}

// RowNormalized returns a copy whose rows sum to 1 (rows that sum to 0 stay 0): the usual
// preprocessing of bag-of-words node features for a GCN.
func (m *CSR) RowNormalized() *CSR {
	c := *m
	c.Data = make([]float32, len(m.Data))
	for i := range m.Rows {
		lo, hi := m.Indptr[i], m.Indptr[i+1]
		var s float64
		for _, v := range m.Data[lo:hi] {
			s += float64(v)
		}
		for k := lo; k < hi; k++ {
			if s != 0 {
				c.Data[k] = float32(float64(m.Data[k]) / s)
			}
		}
	}
	return &c
}

// validate checks the structure: sizes, monotone offsets, column numbers in range.
func (m *CSR) validate(what string) error {
	if m.Rows < 0 || m.Cols < 0 || len(m.Indptr) != m.Rows+1 || len(m.Indices) != len(m.Data) {
		return formatErr("npz", "%s: %dx%d matrix with %d offsets, %d indices and %d values",
			what, m.Rows, m.Cols, len(m.Indptr), len(m.Indices), len(m.Data))
	}
	if m.Indptr[0] != 0 || int(m.Indptr[m.Rows]) != len(m.Indices) {
		return formatErr("npz", "%s: offsets run from %d to %d, want 0 to %d", what, m.Indptr[0], m.Indptr[m.Rows], len(m.Indices))
	}
	for i := range m.Rows {
		if m.Indptr[i+1] < m.Indptr[i] {
			return formatErr("npz", "%s: offsets decrease at row %d", what, i)
		}
	}
	for _, j := range m.Indices {
		if j < 0 || int(j) >= m.Cols {
			return formatErr("npz", "%s: column %d out of range [0,%d)", what, j, m.Cols)
		}
	}
	return nil
}

// Graph is a node-classification dataset (Cora, CiteSeer) with the standard semi-supervised
// split.
type Graph struct {
	Name          string
	N, F, Classes int
	// Features is the N×F node-feature matrix as stored (bag-of-words 0/1 for Cora and
	// CiteSeer); Features.RowNormalized() gives the row-normalised copy GCNs usually take.
	Features   *CSR
	Labels     []uint8 // N labels in [0, Classes)
	ClassNames []string
	// Edges lists each undirected edge once as {i, j} with i < j, sorted; self loops and
	// duplicates of the file are removed.
	Edges [][2]int32
	// Adj is the symmetric N×N adjacency matrix of Edges (values 1, no self loops).
	Adj *CSR
	// Train, Val and Test are node numbers, ascending: 20 per class, 500 and 1000 (Split).
	Train, Val, Test []int32
}

// The standard semi-supervised split (Kipf and Welling 2017; Yang et al. 2016).
const (
	SplitPerClass = 20
	SplitVal      = 500
	SplitTest     = 1000
)

// LoadGraph loads the named graph ("cora" or "citeseer") from NAME.npz in dir (or, when dir is
// empty, $SNNSIM_DATA, then ../shared/datasets) and draws the standard split with the seed.
func LoadGraph(name, dir string, seed uint64) (*Graph, error) {
	info, ok := Lookup(name)
	if !ok || info.Kind != KindGraph {
		return nil, fmt.Errorf("dataset: %w %q: graphs are %v", ErrUnknown, name, graphNames())
	}
	name = info.Name
	paths, err := locateGraph(name, dir)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(paths[0])
	if err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", name, err)
	}
	g, err := DecodeGraphNPZ(name, b)
	if err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", paths[0], err)
	}
	if err := g.Split(SplitPerClass, SplitVal, SplitTest, seed); err != nil {
		return nil, err
	}
	return g, nil
}

// locateGraph finds NAME.npz in dir or dir/NAME, or else in $SNNSIM_DATA and ../shared/datasets.
func locateGraph(name, dir string) ([]string, error) {
	dirs, explicit := userDirs(dir, name)
	if !explicit {
		dirs = append(dirs, sharedDirs()...)
	}
	dirs = uniq(dirs)
	var looked []string
	for _, d := range dirs {
		looked = append(looked, d)
		if p := existing(filepath.Join(d, name+".npz")); p != "" {
			return []string{p}, nil
		}
	}
	return nil, &NotFoundError{
		Dataset: name, Want: []string{name + ".npz"}, Looked: looked,
		Fix: "pass --data-dir DIR (or set " + EnvData + "=DIR) where DIR holds " + name +
			".npz (scipy CSR layout of shchur/gnn-benchmark); the project's copy is ../shared/datasets/" + name + ".npz",
	}
}

func graphNames() []string {
	var out []string
	for _, in := range catalog {
		if in.Kind == KindGraph {
			out = append(out, in.Name)
		}
	}
	return out
}

// DecodeGraphNPZ decodes a graph in the NPZ layout of shchur/gnn-benchmark: scipy CSR arrays
// adj_{data,indices,indptr,shape} and attr_{data,indices,indptr,shape}, labels, and
// optionally class_names. The adjacency is made undirected, without duplicates or self loops.
// No split is drawn (see Split). Errors wrap ErrFormat.
func DecodeGraphNPZ(name string, b []byte) (*Graph, error) {
	arrs, err := readNPZ(b)
	if err != nil {
		return nil, err
	}
	adj, err := csrFromNPZ(arrs, "adj")
	if err != nil {
		return nil, err
	}
	if adj.Rows != adj.Cols {
		return nil, formatErr("npz", "adjacency is %dx%d, not square", adj.Rows, adj.Cols)
	}
	feat, err := csrFromNPZ(arrs, "attr")
	if err != nil {
		return nil, err
	}
	n := adj.Rows
	if feat.Rows != n {
		return nil, formatErr("npz", "%d feature rows for %d nodes", feat.Rows, n)
	}
	la, ok := arrs["labels"]
	if !ok {
		return nil, formatErr("npz", "no labels array")
	}
	lab, ok := la.ints()
	if !ok || len(la.shape) != 1 || len(lab) != n {
		return nil, formatErr("npz", "labels: want %d integers, have shape %v", n, la.shape)
	}
	g := &Graph{Name: name, N: n, F: feat.Cols, Features: feat, Labels: make([]uint8, n)}
	if cn, ok := arrs["class_names"]; ok {
		if g.ClassNames, ok = cn.strings(); !ok {
			return nil, formatErr("npz", "class_names are not strings")
		}
		g.Classes = len(g.ClassNames)
	}
	maxLabel := int64(-1)
	for _, l := range lab {
		maxLabel = max(maxLabel, l)
	}
	if g.ClassNames == nil {
		g.Classes = int(min(maxLabel+1, 256))
	}
	if g.Classes < 1 || g.Classes > 255 {
		return nil, formatErr("npz", "%d classes", g.Classes)
	}
	for i, l := range lab {
		if l < 0 || l >= int64(g.Classes) {
			return nil, formatErr("npz", "node %d has label %d, want 0 to %d", i, l, g.Classes-1)
		}
		g.Labels[i] = uint8(l)
	}
	// Undirected edges, each once, without self loops.
	var edges [][2]int32
	for i := range n {
		idx, _ := adj.Row(i)
		for _, j := range idx {
			switch {
			case int32(i) < j:
				edges = append(edges, [2]int32{int32(i), j})
			case j < int32(i):
				edges = append(edges, [2]int32{j, int32(i)})
			}
		}
	}
	slices.SortFunc(edges, func(a, b [2]int32) int {
		return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
	})
	g.Edges = slices.Compact(edges)
	g.Adj = adjacency(n, g.Edges)
	return g, nil
}

// csrFromNPZ assembles the scipy CSR matrix stored as PREFIX_{data,indices,indptr,shape}.
func csrFromNPZ(arrs map[string]*npyArray, prefix string) (*CSR, error) {
	get := func(s string) (*npyArray, error) {
		a, ok := arrs[prefix+"_"+s]
		if !ok {
			return nil, formatErr("npz", "no %s_%s array", prefix, s)
		}
		if len(a.shape) != 1 {
			return nil, formatErr("npz", "%s_%s has shape %v, want 1-D", prefix, s, a.shape)
		}
		return a, nil
	}
	var arr [4]*npyArray
	for i, s := range []string{"shape", "indptr", "indices", "data"} {
		var err error
		if arr[i], err = get(s); err != nil {
			return nil, err
		}
	}
	shape, ok := arr[0].ints()
	if !ok || len(shape) != 2 || shape[0] < 0 || shape[1] < 0 || shape[0] > math.MaxInt32-1 || shape[1] > math.MaxInt32 {
		return nil, formatErr("npz", "%s_shape: want two sizes, have %v", prefix, shape)
	}
	m := &CSR{Rows: int(shape[0]), Cols: int(shape[1])}
	for _, p := range []struct {
		a   *npyArray
		dst *[]int32
	}{{arr[1], &m.Indptr}, {arr[2], &m.Indices}} {
		v, ok := p.a.ints()
		if !ok {
			return nil, formatErr("npz", "%s: CSR offsets and indices must be integers", prefix)
		}
		*p.dst = make([]int32, len(v))
		for i, x := range v {
			if x < 0 || x > math.MaxInt32 {
				return nil, formatErr("npz", "%s: CSR entry %d out of range", prefix, x)
			}
			(*p.dst)[i] = int32(x)
		}
	}
	if m.Data, ok = arr[3].floats(); !ok {
		return nil, formatErr("npz", "%s_data: not numbers", prefix)
	}
	if err := m.validate(prefix); err != nil {
		return nil, err
	}
	return m, nil
}

// adjacency builds the symmetric CSR matrix of an undirected edge list (i < j).
func adjacency(n int, edges [][2]int32) *CSR {
	deg := make([]int32, n+1)
	for _, e := range edges {
		deg[e[0]+1]++
		deg[e[1]+1]++
	}
	for i := range n {
		deg[i+1] += deg[i]
	}
	m := &CSR{Rows: n, Cols: n, Indptr: deg, Indices: make([]int32, 2*len(edges)), Data: make([]float32, 2*len(edges))}
	fill := slices.Clone(deg[:n])
	for _, e := range edges {
		m.Indices[fill[e[0]]] = e[1]
		fill[e[0]]++
		m.Indices[fill[e[1]]] = e[0]
		fill[e[1]]++
	}
	for i := range n {
		slices.Sort(m.Indices[m.Indptr[i]:m.Indptr[i+1]])
	}
	for k := range m.Data {
		m.Data[k] = 1
	}
	return m
}

// Split draws the semi-supervised split with the seed: perClass labelled training nodes of
// each class, then nVal validation and nTest test nodes from the rest, all uniformly at
// random; each list is sorted. It fails if a class has fewer than perClass nodes or too few
// nodes remain.
func (g *Graph) Split(perClass, nVal, nTest int, seed uint64) error {
	if perClass < 0 || nVal < 0 || nTest < 0 {
		return fmt.Errorf("dataset: %s: negative split size", g.Name)
	}
	perm := rand.New(rand.NewPCG(seed, 0x53504c4954)).Perm(g.N)
	taken := make([]int, g.Classes)
	var train, rest []int32
	for _, i := range perm {
		if c := g.Labels[i]; taken[c] < perClass {
			taken[c]++
			train = append(train, int32(i))
		} else {
			rest = append(rest, int32(i))
		}
	}
	for c, k := range taken {
		if k < perClass {
			return fmt.Errorf("dataset: %s: class %d has %d nodes, fewer than %d", g.Name, c, k, perClass)
		}
	}
	if nVal+nTest > len(rest) {
		return fmt.Errorf("dataset: %s: %d nodes remain after the training nodes, fewer than %d+%d", g.Name, len(rest), nVal, nTest)
	}
	g.Train, g.Val, g.Test = train, rest[:nVal:nVal], rest[nVal:nVal+nTest:nVal+nTest]
	for _, s := range [][]int32{g.Train, g.Val, g.Test} {
		slices.Sort(s)
	}
	return nil
}

// Counts returns the number of nodes of each class.
func (g *Graph) Counts() []int {
	c := make([]int, g.Classes)
	for _, l := range g.Labels {
		c[l]++
	}
	return c
}

// GCNAdjacency returns the renormalised adjacency of Kipf and Welling,
// D^{-1/2} (A + I) D^{-1/2} with D the degree matrix of A + I, as a CSR matrix.
func (g *Graph) GCNAdjacency() *CSR {
	n := g.N
	m := &CSR{Rows: n, Cols: n, Indptr: make([]int32, n+1),
		Indices: make([]int32, 0, g.Adj.NNZ()+n), Data: make([]float32, 0, g.Adj.NNZ()+n)}
	dinv := make([]float64, n)
	for i := range n {
		dinv[i] = 1 / math.Sqrt(float64(g.Adj.Indptr[i+1]-g.Adj.Indptr[i]+1))
	}
	for i := range n {
		idx, _ := g.Adj.Row(i)
		self := false
		for _, j := range idx {
			if !self && j > int32(i) {
				m.Indices = append(m.Indices, int32(i))
				m.Data = append(m.Data, float32(dinv[i]*dinv[i]))
				self = true
			}
			m.Indices = append(m.Indices, j)
			m.Data = append(m.Data, float32(dinv[i]*dinv[j]))
		}
		if !self {
			m.Indices = append(m.Indices, int32(i))
			m.Data = append(m.Data, float32(dinv[i]*dinv[i]))
		}
		m.Indptr[i+1] = int32(len(m.Indices))
	}
	return m
}
