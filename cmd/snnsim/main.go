// Command snnsim simulates spiking neural networks event by event, trains them by the
// likelihood-ratio method and runs them on boards. See the README for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// usageError marks errors caused by bad usage or bad input (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// badInput wraps err as a usage / input error: the command exits with status 2.
func badInput(err error) error {
	if err == nil {
		return nil
	}
	return usageError{err}
}

// exitCode maps an error to the documented exit codes: 0 success, 1 failure, 2 bad usage
// or bad input.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

func run(ctx context.Context, args []string, stdin *os.File, stdout, stderr *os.File) int {
	app := newApp(stdout, stderr)
	root := newRootCmd(app)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if perr := app.stopProfile(); err == nil {
		err = perr
	}
	if err != nil {
		fmt.Fprintln(stderr, "snnsim:", err)
	}
	return exitCode(err)
}
