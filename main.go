// Command scalelab drives live scaling experiments: HTTP load with live
// latency percentiles against a service while it is scaled, upgraded and
// broken on purpose.
package main

import (
	"context"
	"os"

	"github.com/scalelab/scalelab/cli"
)

func main() { os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) }
