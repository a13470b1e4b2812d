package snn

import (
	"bytes"
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Format writes n as a network file that Parse reads back to an equal network (up to the
// spelling of defaults: a zero-kind weight or delay comes back as a constant, receptor ""
// as exc, reset "" as value). Numbers are written exactly, in ms, mV and Hz. Format
// validates n first.
func Format(n *Network) ([]byte, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	top := mapping(false)
	if n.Name != "" {
		add(top, "name", str(n.Name))
	}
	add(top, "dt", scalar(fmtQ(n.DT, dimTime)))
	if n.Seed != 0 {
		add(top, "seed", unsigned(n.Seed))
	}
	pops := &yaml.Node{Kind: yaml.SequenceNode}
	for i := range n.Populations {
		pops.Content = append(pops.Content, encodePop(&n.Populations[i]))
	}
	add(top, "populations", pops)
	if len(n.Projections) > 0 {
		projs := &yaml.Node{Kind: yaml.SequenceNode}
		for i := range n.Projections {
			pr := &n.Projections[i]
			wdim := dimVolt
			if n.Population(pr.To).Model == ModelCoBaLIF {
				wdim = dimNone
			}
			projs.Content = append(projs.Content, encodeProj(pr, wdim))
		}
		add(top, "projections", projs)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(top); err != nil {
		return nil, fmt.Errorf("snn: format: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("snn: format: %w", err)
	}
	return buf.Bytes(), nil
}

func mapping(flow bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return n
}

func flowSeq(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle, Content: items}
}

func add(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, str(key), v)
}

// str is a string node, quoted by the encoder when it would read as another type.
func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

// scalar is a quantity: a number with a unit reads as a string, without one as a number.
func scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }

func integer(i int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(i, 10)}
}

func unsigned(u uint64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatUint(u, 10)}
}

func boolean(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

func encodeDist(d Dist, dm dim) *yaml.Node {
	switch d.Kind {
	case DistUniform, DistNormal:
		m := mapping(true)
		add(m, string(d.Kind), flowSeq(scalar(fmtQ(d.A, dm)), scalar(fmtQ(d.B, dm))))
		return m
	}
	return scalar(fmtQ(d.A, dm))
}

func encodePop(p *Population) *yaml.Node {
	m := mapping(false)
	add(m, "name", str(p.Name))
	add(m, "size", integer(int64(p.Size)))
	add(m, "model", str(string(p.Model)))
	switch p.Model {
	case ModelPoisson:
		add(m, "rate", scalar(fmtQ(p.Rate, dimRate)))
	case ModelSpikes:
		ids, times := flowSeq(), flowSeq()
		for k := range p.SpikeIDs {
			ids.Content = append(ids.Content, integer(int64(p.SpikeIDs[k])))
			times.Content = append(times.Content, scalar(fmtQ(p.SpikeTimes[k], dimTime)))
		}
		s := mapping(true)
		add(s, "ids", ids)
		add(s, "times", times)
		add(m, "spikes", s)
	default:
		q := p.Params
		def := DefaultParams()
		params := mapping(true)
		for _, k := range paramKeys {
			v := *k.field(&q)
			// Bias and beta are "off" at 0; reversal potentials matter only for coba-lif.
			switch k.key {
			case "bias", "beta":
				if v == 0 {
					continue
				}
			case "e_e", "e_i":
				if p.Model != ModelCoBaLIF && v == *k.field(&def) {
					continue
				}
			}
			add(params, k.key, scalar(fmtQ(v, k.d)))
			if k.key == "refractory" {
				reset := q.Reset
				if reset == "" {
					reset = ResetValue
				}
				add(params, "reset", str(string(reset)))
			}
		}
		add(m, "params", params)
		if p.InitV != (Dist{}) {
			init := mapping(true)
			add(init, "v", encodeDist(p.InitV, dimVolt))
			add(m, "init", init)
		}
	}
	if p.Seed != 0 {
		add(m, "seed", unsigned(p.Seed))
	}
	return m
}

func encodeProj(p *Projection, wdim dim) *yaml.Node {
	m := mapping(false)
	if p.Name != "" {
		add(m, "name", str(p.Name))
	}
	add(m, "from", str(p.From))
	add(m, "to", str(p.To))
	r := p.Receptor
	if r == "" {
		r = Exc
	}
	add(m, "receptor", str(string(r)))
	c := &p.Connect
	var conn *yaml.Node
	switch {
	case c.Kind == ConnectRandom:
		conn = mapping(true)
		add(conn, "random", scalar(fmtNum(c.P)))
	case c.Kind == ConnectList:
		conn = mapping(true)
		pre, post := flowSeq(), flowSeq()
		for k := range c.Pre {
			pre.Content = append(pre.Content, integer(int64(c.Pre[k])))
			post.Content = append(post.Content, integer(int64(c.Post[k])))
		}
		l := mapping(true)
		add(l, "pre", pre)
		add(l, "post", post)
		add(conn, "list", l)
	case c.AllowSelf:
		conn = mapping(true)
		add(conn, string(c.Kind), boolean(true))
	default:
		conn = str(string(c.Kind))
	}
	if c.AllowSelf {
		add(conn, "allow_self", boolean(true))
	}
	add(m, "connect", conn)
	if p.Weights != nil {
		ws := flowSeq()
		for _, w := range p.Weights {
			ws.Content = append(ws.Content, scalar(fmtQ(w, wdim)))
		}
		add(m, "weights", ws)
	} else {
		add(m, "weight", encodeDist(p.Weight, wdim))
	}
	if p.Delay != (Dist{}) {
		add(m, "delay", encodeDist(p.Delay, dimTime))
	}
	if p.Seed != 0 {
		add(m, "seed", unsigned(p.Seed))
	}
	return m
}
