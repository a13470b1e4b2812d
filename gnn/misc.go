package gnn

import "fmt"

func errorf(format string, args ...any) error {
	return fmt.Errorf("gnn: %s", fmt.Sprintf(format, args...))
}
