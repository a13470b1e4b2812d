package main

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/snnsim/snnsim/lr"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"snnsim": func() {
			os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
	})
}

// TestScripts runs the end-to-end CLI scripts in testdata/script (txtar files; see
// github.com/rogpeppe/go-internal/testscript for the language).
func TestScripts(t *testing.T) {
	repo, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:  "testdata/script",
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){"samepayload": samePayload},
		Setup: func(env *testscript.Env) error {
			env.Setenv("REPO", repo+"/../..")
			for _, k := range []string{"SNNSIM_DATA", "GOMODCACHE", "HOME", "GOPATH"} {
				if v, ok := os.LookupEnv(k); ok {
					env.Setenv(k, v)
				}
			}
			return nil
		},
	})
}

// samePayload is the script command "samepayload a.snnm b.snnm": the two cnn or rnn model
// files hold the same parameters and optimizer state, bit for bit (their headers may
// differ in timings).
func samePayload(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: samepayload FILE FILE")
	}
	var m [2]*netLoaded
	for i, a := range args {
		var err error
		m[i], err = loadNetModel(ts.MkAbs(a))
		ts.Check(err)
	}
	same := m[0].opt != nil && m[1].opt != nil && m[0].opt.Name == m[1].opt.Name &&
		m[0].opt.State.Steps == m[1].opt.State.Steps &&
		slices.EqualFunc(m[0].net.Params(), m[1].net.Params(), func(a, b lr.Param) bool { return slices.Equal(a.Value, b.Value) }) &&
		slices.EqualFunc(m[0].opt.State.Buffers, m[1].opt.State.Buffers, slices.Equal)
	if same == neg {
		ts.Fatalf("payloads of %s and %s: same=%v", args[0], args[1], same)
	}
}
