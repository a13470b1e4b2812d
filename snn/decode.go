package snn

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize is the largest network file Load reads (bytes).
const MaxFileSize = 256 << 20

// Load reads and validates the network file at path (see Parse). Errors name the file.
func Load(path string) (*Network, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("snn: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("snn: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, &Error{File: path, Msg: fmt.Sprintf("file larger than %d bytes", MaxFileSize)}
	}
	n, err := Parse(data)
	if err != nil {
		if e, ok := errors.AsType[*Error](err); ok {
			e.File = path
		}
		return nil, err
	}
	return n, nil
}

// Parse decodes a network file (YAML, see the package documentation for the format),
// fills in defaults and validates the result. Every error is an *Error whose one-line
// message names the line and the offending field.
func Parse(data []byte) (*Network, error) {
	root, err := parseYAML(data)
	if err != nil {
		return nil, err
	}
	d := &decoder{budget: 2*len(data) + 1<<20}
	n, err := d.network(root)
	if err != nil {
		return nil, err
	}
	if err := n.Validate(); err != nil {
		if e, ok := errors.AsType[*Error](err); ok && e.Line == 0 {
			e.Line = locate(root, e.key)
		}
		return nil, err
	}
	return n, nil
}

// parseYAML parses exactly one YAML document.
func parseYAML(data []byte) (root *yaml.Node, err error) {
	defer func() {
		// The YAML parser is outside code fed outside bytes: never let it take the
		// program down.
		if r := recover(); r != nil {
			root, err = nil, &Error{Msg: fmt.Sprintf("yaml: internal error: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, &Error{Msg: "empty network file"}
		}
		return nil, yamlError(err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == io.EOF:
	case err != nil:
		return nil, yamlError(err)
	default:
		return nil, &Error{Line: extra.Line, Msg: "more than one YAML document in the file"}
	}
	return &doc, nil
}

// yamlError turns a YAML syntax error into an *Error, keeping its line number.
func yamlError(err error) *Error {
	msg := strings.TrimPrefix(oneLine(err.Error()), "yaml: ")
	e := &Error{Msg: msg, Err: err}
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.Index(rest, ": "); i > 0 {
			if l, err := strconv.Atoi(rest[:i]); err == nil {
				e.Line, e.Msg = l, rest[i+2:]
			}
		}
	}
	return e
}

// locate returns the line of the node at key (see fieldPath), or of its deepest existing
// ancestor, or 0.
func locate(root *yaml.Node, key string) int {
	n := root
	if n == nil {
		return 0
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	line := n.Line
	for _, seg := range splitKey(key) {
		for range 8 {
			if n.Kind != yaml.AliasNode || n.Alias == nil {
				break
			}
			n = n.Alias
		}
		var next *yaml.Node
		switch {
		case n.Kind == yaml.SequenceNode && strings.HasPrefix(seg, "["):
			i, err := strconv.Atoi(strings.Trim(seg, "[]"))
			if err == nil && i >= 0 && i < len(n.Content) {
				next = n.Content[i]
			}
		case n.Kind == yaml.MappingNode:
			for k := 0; k+1 < len(n.Content); k += 2 {
				if n.Content[k].Value == seg {
					next = n.Content[k+1]
				}
			}
		}
		if next == nil {
			break
		}
		n = next
		line = n.Line
	}
	return line
}

// decoder walks a YAML tree into a Network. budget bounds the number of nodes visited, so
// that aliases cannot make a small file expensive.
type decoder struct {
	budget int
}

// visit follows aliases and charges the budget.
func (d *decoder) visit(n *yaml.Node, p fieldPath) (*yaml.Node, error) {
	for range 8 {
		if n == nil || n.Kind != yaml.AliasNode {
			break
		}
		n = n.Alias
	}
	if n == nil || n.Kind == yaml.AliasNode {
		return nil, p.errorf("unresolved alias")
	}
	d.budget--
	if d.budget < 0 {
		return nil, errAt(n, p, "document too complex (too many aliased nodes)")
	}
	return n, nil
}

// errAt is p.errorf with the line of n.
func errAt(n *yaml.Node, p fieldPath, format string, args ...any) *Error {
	e := p.errorf(format, args...)
	if n != nil {
		e.Line = n.Line
	}
	return e
}

// describe names what a node holds, for "want X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "nothing (null)"
		}
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		return strconv.Quote(v)
	}
	return "something else"
}

// fields reads the mapping n into key → value. Keys must be in allowed and appear once;
// YAML merge keys ("<<: *anchor") are honoured, explicit keys winning.
func (d *decoder) fields(n *yaml.Node, p fieldPath, allowed ...string) (map[string]*yaml.Node, error) {
	out := map[string]*yaml.Node{}
	if err := d.collect(n, p, allowed, out, 0); err != nil {
		return nil, err
	}
	return out, nil
}

func (d *decoder) collect(n *yaml.Node, p fieldPath, allowed []string, out map[string]*yaml.Node, depth int) error {
	n, err := d.visit(n, p)
	if err != nil {
		return err
	}
	if n.Kind != yaml.MappingNode {
		return errAt(n, p, "want a mapping (key: value), got %s", describe(n))
	}
	if depth > 8 {
		return errAt(n, p, "merge keys nested too deeply")
	}
	own := map[string]bool{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return errAt(k, p, "keys must be plain words, got %s", describe(k))
		}
		if k.Value == "<<" && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if !slices.Contains(allowed, k.Value) {
			return errAt(k, p, "unknown key %q (want %s)", k.Value, strings.Join(allowed, ", "))
		}
		if own[k.Value] {
			return errAt(k, p, "key %q given twice", k.Value)
		}
		own[k.Value] = true
		if depth == 0 {
			out[k.Value] = v
		} else if _, ok := out[k.Value]; !ok {
			out[k.Value] = v
		}
	}
	// Merged keys fill in what the mapping does not set itself.
	for _, m := range merges {
		m, err := d.visit(m, p)
		if err != nil {
			return err
		}
		list := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			list = m.Content
		}
		for _, src := range list {
			if err := d.collect(src, p, allowed, out, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *decoder) scalar(n *yaml.Node, p fieldPath) (*yaml.Node, error) {
	n, err := d.visit(n, p)
	if err != nil {
		return nil, err
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return nil, errAt(n, p, "want a single value, got %s", describe(n))
	}
	return n, nil
}

func (d *decoder) str(n *yaml.Node, p fieldPath) (string, error) {
	n, err := d.scalar(n, p)
	if err != nil {
		return "", err
	}
	return n.Value, nil
}

// integer reads an integer; an integral float such as 4e5 is accepted.
func (d *decoder) integer(n *yaml.Node, p fieldPath) (int64, error) {
	n, err := d.scalar(n, p)
	if err != nil {
		return 0, err
	}
	switch n.ShortTag() {
	case "!!int":
		var v int64
		if n.Decode(&v) == nil {
			return v, nil
		}
	case "!!float":
		var v float64
		if n.Decode(&v) == nil && v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int64(v), nil
		}
	}
	return 0, errAt(n, p, "want an integer, got %s", describe(n))
}

func (d *decoder) seed(n *yaml.Node, p fieldPath) (uint64, error) {
	n, err := d.scalar(n, p)
	if err != nil {
		return 0, err
	}
	var v uint64
	if n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		return 0, errAt(n, p, "want a non-negative integer seed, got %s", describe(n))
	}
	return v, nil
}

func (d *decoder) boolean(n *yaml.Node, p fieldPath) (bool, error) {
	n, err := d.scalar(n, p)
	if err != nil {
		return false, err
	}
	var v bool
	if n.ShortTag() != "!!bool" || n.Decode(&v) != nil {
		return false, errAt(n, p, "want true or false, got %s", describe(n))
	}
	return v, nil
}

// quantity reads a number with an optional unit (see parseQuantity). It reports whether
// a unit was written.
func (d *decoder) quantity(n *yaml.Node, p fieldPath, want dim) (float64, bool, error) {
	n, err := d.scalar(n, p)
	if err != nil {
		return 0, false, err
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		var v float64
		if err := n.Decode(&v); err != nil {
			return 0, false, errAt(n, p, "cannot read %s as %s", describe(n), want)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, false, errAt(n, p, "must be a finite number, got %s", describe(n))
		}
		return v, false, nil
	case "!!str":
		v, unit, err := parseQuantity(n.Value, want)
		if err != nil {
			return 0, false, errAt(n, p, "%v", err)
		}
		return v, unit, nil
	}
	return 0, false, errAt(n, p, "want %s, got %s", want, describe(n))
}

func (d *decoder) seq(n *yaml.Node, p fieldPath) ([]*yaml.Node, error) {
	n, err := d.visit(n, p)
	if err != nil {
		return nil, err
	}
	if n.Kind != yaml.SequenceNode {
		return nil, errAt(n, p, "want a list, got %s", describe(n))
	}
	return n.Content, nil
}

// dist reads a constant (a plain quantity) or {const: x}, {uniform: [a, b]},
// {normal: [mean, sd]}. It reports whether any unit was written.
func (d *decoder) dist(n *yaml.Node, p fieldPath, want dim) (Dist, bool, error) {
	nn, err := d.visit(n, p)
	if err != nil {
		return Dist{}, false, err
	}
	if nn.Kind != yaml.MappingNode {
		v, unit, err := d.quantity(nn, p, want)
		return Const(v), unit, err
	}
	f, err := d.fields(nn, p, "const", "uniform", "normal")
	if err != nil {
		return Dist{}, false, err
	}
	if len(f) != 1 {
		return Dist{}, false, errAt(nn, p, "want exactly one of const, uniform, normal")
	}
	for k, v := range f {
		if k == "const" {
			x, unit, err := d.quantity(v, p.dot(k), want)
			return Const(x), unit, err
		}
		items, err := d.seq(v, p.dot(k))
		if err != nil {
			return Dist{}, false, err
		}
		if len(items) != 2 {
			what := "[low, high]"
			if k == "normal" {
				what = "[mean, sd]"
			}
			return Dist{}, false, errAt(v, p.dot(k), "want a list of two values %s, got %d", what, len(items))
		}
		a, ua, err := d.quantity(items[0], p.dot(k).at(0), want)
		if err != nil {
			return Dist{}, false, err
		}
		b, ub, err := d.quantity(items[1], p.dot(k).at(1), want)
		if err != nil {
			return Dist{}, false, err
		}
		return Dist{Kind: DistKind(k), A: a, B: b}, ua || ub, nil
	}
	panic("unreachable")
}

func (d *decoder) network(root *yaml.Node) (*Network, error) {
	top := root
	if top.Kind == yaml.DocumentNode && len(top.Content) == 1 {
		top = top.Content[0]
	}
	var p fieldPath
	f, err := d.fields(top, p, "name", "dt", "seed", "populations", "projections")
	if err != nil {
		return nil, err
	}
	n := &Network{DT: DefaultDT}
	if v, ok := f["name"]; ok {
		if n.Name, err = d.str(v, p.dot("name")); err != nil {
			return nil, err
		}
	}
	if v, ok := f["dt"]; ok {
		if n.DT, _, err = d.quantity(v, p.dot("dt"), dimTime); err != nil {
			return nil, err
		}
	}
	if v, ok := f["seed"]; ok {
		if n.Seed, err = d.seed(v, p.dot("seed")); err != nil {
			return nil, err
		}
	}
	pops, ok := f["populations"]
	if !ok {
		return nil, errAt(top, p, "missing key \"populations\"")
	}
	items, err := d.seq(pops, p.dot("populations"))
	if err != nil {
		return nil, err
	}
	for i, item := range items {
		pop, err := d.population(item, p.dot("populations").at(i))
		if err != nil {
			return nil, err
		}
		n.Populations = append(n.Populations, pop)
	}
	if projs, ok := f["projections"]; ok {
		items, err := d.seq(projs, p.dot("projections"))
		if err != nil {
			return nil, err
		}
		for i, item := range items {
			pr, err := d.projection(n, item, p.dot("projections").at(i))
			if err != nil {
				return nil, err
			}
			n.Projections = append(n.Projections, pr)
		}
	}
	return n, nil
}

// peekName returns the value of the mapping's own "name" key when it is a plain scalar, so
// that errors about the mapping can name it.
func peekName(n *yaml.Node) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k, v := n.Content[i], n.Content[i+1]; k.Value == "name" && v.Kind == yaml.ScalarNode {
			return v.Value
		}
	}
	return ""
}

// requireKey returns the value of a mandatory key.
func requireKey(f map[string]*yaml.Node, n *yaml.Node, p fieldPath, key string) (*yaml.Node, error) {
	v, ok := f[key]
	if !ok {
		return nil, errAt(n, p, "missing key %q", key)
	}
	return v, nil
}

var modelNames = []string{string(ModelLIF), string(ModelCuBaLIF), string(ModelCoBaLIF), string(ModelPoisson), string(ModelSpikes)}

func (d *decoder) population(n *yaml.Node, p fieldPath) (Population, error) {
	var pop Population
	n, err := d.visit(n, p)
	if err != nil {
		return pop, err
	}
	p = p.named(peekName(n))
	f, err := d.fields(n, p, "name", "size", "model", "params", "init", "seed", "rate", "spikes")
	if err != nil {
		return pop, err
	}
	v, err := requireKey(f, n, p, "name")
	if err != nil {
		return pop, err
	}
	if pop.Name, err = d.str(v, p.dot("name")); err != nil {
		return pop, err
	}
	if v, err = requireKey(f, n, p, "size"); err != nil {
		return pop, err
	}
	size, err := d.integer(v, p.dot("size"))
	if err != nil {
		return pop, err
	}
	if size < 1 || size > MaxNeurons {
		return pop, errAt(v, p.dot("size"), "must be between 1 and %d, got %d", MaxNeurons, size)
	}
	pop.Size = int(size)
	if v, err = requireKey(f, n, p, "model"); err != nil {
		return pop, err
	}
	model, err := d.str(v, p.dot("model"))
	if err != nil {
		return pop, err
	}
	if !slices.Contains(modelNames, model) {
		return pop, errAt(v, p.dot("model"), "unknown model %q (want %s)", model, strings.Join(modelNames, ", "))
	}
	pop.Model = Model(model)
	// Keys that only some models take.
	for _, o := range []struct {
		key string
		ok  bool
	}{
		{"params", !pop.Model.IsInput()},
		{"init", !pop.Model.IsInput()},
		{"rate", pop.Model == ModelPoisson},
		{"spikes", pop.Model == ModelSpikes},
	} {
		if v, given := f[o.key]; given && !o.ok {
			return pop, errAt(v, p.dot(o.key), "not used by model %s", pop.Model)
		}
	}
	if v, ok := f["seed"]; ok {
		if pop.Seed, err = d.seed(v, p.dot("seed")); err != nil {
			return pop, err
		}
	}
	switch pop.Model {
	case ModelPoisson:
		if v, err = requireKey(f, n, p, "rate"); err != nil {
			return pop, err
		}
		if pop.Rate, _, err = d.quantity(v, p.dot("rate"), dimRate); err != nil {
			return pop, err
		}
	case ModelSpikes:
		if v, err = requireKey(f, n, p, "spikes"); err != nil {
			return pop, err
		}
		if err := d.spikes(&pop, v, p.dot("spikes")); err != nil {
			return pop, err
		}
	default:
		pop.Params = DefaultParams()
		if v, ok := f["params"]; ok {
			if err := d.params(&pop.Params, v, p.dot("params")); err != nil {
				return pop, err
			}
		}
		if v, ok := f["init"]; ok {
			g, err := d.fields(v, p.dot("init"), "v")
			if err != nil {
				return pop, err
			}
			if vv, ok := g["v"]; ok {
				if pop.InitV, _, err = d.dist(vv, p.dot("init").dot("v"), dimVolt); err != nil {
					return pop, err
				}
			}
		}
	}
	return pop, nil
}

// paramKeys lists the neuron parameters in file order, with their dimension and field.
var paramKeys = []struct {
	key   string
	d     dim
	field func(*NeuronParams) *float64
}{
	{"tau_m", dimTime, func(q *NeuronParams) *float64 { return &q.TauM }},
	{"tau_e", dimTime, func(q *NeuronParams) *float64 { return &q.TauE }},
	{"tau_i", dimTime, func(q *NeuronParams) *float64 { return &q.TauI }},
	{"v_rest", dimVolt, func(q *NeuronParams) *float64 { return &q.VRest }},
	{"v_thresh", dimVolt, func(q *NeuronParams) *float64 { return &q.VThresh }},
	{"v_reset", dimVolt, func(q *NeuronParams) *float64 { return &q.VReset }},
	{"refractory", dimTime, func(q *NeuronParams) *float64 { return &q.Refractory }},
	{"bias", dimVolt, func(q *NeuronParams) *float64 { return &q.Bias }},
	{"e_e", dimVolt, func(q *NeuronParams) *float64 { return &q.EE }},
	{"e_i", dimVolt, func(q *NeuronParams) *float64 { return &q.EI }},
	{"beta", dimVolt, func(q *NeuronParams) *float64 { return &q.Beta }},
}

func (d *decoder) params(q *NeuronParams, n *yaml.Node, p fieldPath) error {
	allowed := []string{"reset"}
	for _, k := range paramKeys {
		allowed = append(allowed, k.key)
	}
	f, err := d.fields(n, p, allowed...)
	if err != nil {
		return err
	}
	for _, k := range paramKeys {
		if v, ok := f[k.key]; ok {
			if *k.field(q), _, err = d.quantity(v, p.dot(k.key), k.d); err != nil {
				return err
			}
		}
	}
	if v, ok := f["reset"]; ok {
		s, err := d.str(v, p.dot("reset"))
		if err != nil {
			return err
		}
		if s != string(ResetValue) && s != string(ResetSubtract) {
			return errAt(v, p.dot("reset"), "want value or subtract, got %q", s)
		}
		q.Reset = ResetMode(s)
	}
	return nil
}

func (d *decoder) spikes(pop *Population, n *yaml.Node, p fieldPath) error {
	f, err := d.fields(n, p, "ids", "times")
	if err != nil {
		return err
	}
	idsN, err := requireKey(f, n, p, "ids")
	if err != nil {
		return err
	}
	timesN, err := requireKey(f, n, p, "times")
	if err != nil {
		return err
	}
	ids, err := d.seq(idsN, p.dot("ids"))
	if err != nil {
		return err
	}
	times, err := d.seq(timesN, p.dot("times"))
	if err != nil {
		return err
	}
	if len(ids) != len(times) {
		return errAt(timesN, p.dot("times"), "%d times for %d ids: want one time per id", len(times), len(ids))
	}
	for i, item := range ids {
		id, err := d.integer(item, p.dot("ids").at(i))
		if err != nil {
			return err
		}
		if id < 0 || id >= int64(pop.Size) {
			return errAt(item, p.dot("ids").at(i), "neuron %d out of range [0, %d)", id, pop.Size)
		}
		pop.SpikeIDs = append(pop.SpikeIDs, int32(id))
	}
	for i, item := range times {
		t, _, err := d.quantity(item, p.dot("times").at(i), dimTime)
		if err != nil {
			return err
		}
		pop.SpikeTimes = append(pop.SpikeTimes, t)
	}
	return nil
}

func (d *decoder) projection(net *Network, n *yaml.Node, p fieldPath) (Projection, error) {
	var pr Projection
	n, err := d.visit(n, p)
	if err != nil {
		return pr, err
	}
	p = p.named(peekName(n))
	f, err := d.fields(n, p, "name", "from", "to", "receptor", "connect", "weight", "weights", "delay", "seed")
	if err != nil {
		return pr, err
	}
	if v, ok := f["name"]; ok {
		if pr.Name, err = d.str(v, p.dot("name")); err != nil {
			return pr, err
		}
	}
	for _, key := range []string{"from", "to"} {
		v, err := requireKey(f, n, p, key)
		if err != nil {
			return pr, err
		}
		s, err := d.str(v, p.dot(key))
		if err != nil {
			return pr, err
		}
		if key == "from" {
			pr.From = s
		} else {
			pr.To = s
		}
	}
	pr.Receptor = Exc
	if v, ok := f["receptor"]; ok {
		s, err := d.str(v, p.dot("receptor"))
		if err != nil {
			return pr, err
		}
		if s != string(Exc) && s != string(Inh) {
			return pr, errAt(v, p.dot("receptor"), "want exc or inh, got %q", s)
		}
		pr.Receptor = Receptor(s)
	}
	v, err := requireKey(f, n, p, "connect")
	if err != nil {
		return pr, err
	}
	if pr.Connect, err = d.connect(v, p.dot("connect")); err != nil {
		return pr, err
	}
	// Weights to a conductance-based target are plain numbers (units of the leak
	// conductance); elsewhere they are potentials.
	coba := false
	if i := net.Index(pr.To); i >= 0 {
		coba = net.Populations[i].Model == ModelCoBaLIF
	}
	checkUnit := func(v *yaml.Node, p fieldPath, unit bool) error {
		if coba && unit {
			return errAt(v, p, "weights onto conductance-based population %q are plain numbers (units of its leak conductance), not voltages", pr.To)
		}
		return nil
	}
	wN, hasW := f["weight"]
	wsN, hasWs := f["weights"]
	switch {
	case hasW && hasWs:
		return pr, errAt(wsN, p.dot("weights"), "give either weight or weights, not both")
	case hasW:
		w, unit, err := d.dist(wN, p.dot("weight"), dimWeight)
		if err != nil {
			return pr, err
		}
		if err := checkUnit(wN, p.dot("weight"), unit); err != nil {
			return pr, err
		}
		pr.Weight = w
	case hasWs:
		items, err := d.seq(wsN, p.dot("weights"))
		if err != nil {
			return pr, err
		}
		pr.Weights = make([]float64, 0, len(items))
		for i, item := range items {
			w, unit, err := d.quantity(item, p.dot("weights").at(i), dimWeight)
			if err != nil {
				return pr, err
			}
			if err := checkUnit(item, p.dot("weights").at(i), unit); err != nil {
				return pr, err
			}
			pr.Weights = append(pr.Weights, w)
		}
		if len(pr.Weights) == 0 {
			pr.Weights = nil
		}
	default:
		return pr, errAt(n, p, "missing key \"weight\"")
	}
	if v, ok := f["delay"]; ok {
		if pr.Delay, _, err = d.dist(v, p.dot("delay"), dimTime); err != nil {
			return pr, err
		}
	}
	if v, ok := f["seed"]; ok {
		if pr.Seed, err = d.seed(v, p.dot("seed")); err != nil {
			return pr, err
		}
	}
	return pr, nil
}

// connect reads "all", "one-to-one", {random: p}, {list: {pre: [...], post: [...]}}, or
// {RULE: ..., allow_self: true}.
func (d *decoder) connect(n *yaml.Node, p fieldPath) (Connect, error) {
	var c Connect
	n, err := d.visit(n, p)
	if err != nil {
		return c, err
	}
	if n.Kind == yaml.ScalarNode {
		s, err := d.str(n, p)
		if err != nil {
			return c, err
		}
		switch ConnectKind(s) {
		case ConnectAll, ConnectOneToOne:
			c.Kind = ConnectKind(s)
			return c, nil
		case ConnectRandom, ConnectList:
			return c, errAt(n, p, "rule %s needs a value, e.g. {random: 0.02} or {list: {pre: [...], post: [...]}}", s)
		}
		return c, errAt(n, p, "unknown rule %q (want all, one-to-one, {random: P} or {list: {pre: [...], post: [...]}})", s)
	}
	f, err := d.fields(n, p, "all", "one-to-one", "random", "list", "allow_self")
	if err != nil {
		return c, err
	}
	if v, ok := f["allow_self"]; ok {
		if c.AllowSelf, err = d.boolean(v, p.dot("allow_self")); err != nil {
			return c, err
		}
	}
	var rules []string
	for _, k := range []string{"all", "one-to-one", "random", "list"} {
		if _, ok := f[k]; ok {
			rules = append(rules, k)
		}
	}
	if len(rules) != 1 {
		return c, errAt(n, p, "want exactly one rule of all, one-to-one, random, list; got %d", len(rules))
	}
	k := rules[0]
	v := f[k]
	c.Kind = ConnectKind(k)
	switch c.Kind {
	case ConnectAll, ConnectOneToOne:
		on, err := d.boolean(v, p.dot(k))
		if err != nil {
			return c, err
		}
		if !on {
			return c, errAt(v, p.dot(k), "must be true (write the rule you want)")
		}
	case ConnectRandom:
		if c.P, _, err = d.quantity(v, p.dot(k), dimNone); err != nil {
			return c, err
		}
	case ConnectList:
		g, err := d.fields(v, p.dot(k), "pre", "post")
		if err != nil {
			return c, err
		}
		for _, side := range []string{"pre", "post"} {
			sv, err := requireKey(g, v, p.dot(k), side)
			if err != nil {
				return c, err
			}
			items, err := d.seq(sv, p.dot(k).dot(side))
			if err != nil {
				return c, err
			}
			idx := make([]int32, 0, len(items))
			for i, item := range items {
				x, err := d.integer(item, p.dot(k).dot(side).at(i))
				if err != nil {
					return c, err
				}
				if x < 0 || x > math.MaxInt32 {
					return c, errAt(item, p.dot(k).dot(side).at(i), "index %d out of range", x)
				}
				idx = append(idx, int32(x))
			}
			if len(idx) == 0 {
				idx = nil
			}
			if side == "pre" {
				c.Pre = idx
			} else {
				c.Post = idx
			}
		}
	}
	return c, nil
}
