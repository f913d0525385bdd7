//go:build !unix

package modelbench

import "time"

// CPUTime returns 0 where getrusage is not available: the CPU-time rates
// are then not meaningful, the wall-clock ones still are.
func CPUTime() time.Duration { return 0 }
