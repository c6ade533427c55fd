// Command demoserver is a minimal loopback HTTP server for `make demo` until
// the local fleet lands: it answers 200 after a small random delay.
package main

import (
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:18090", "address to listen on (loopback)")
	flag.Parse()
	if host, _, err := net.SplitHostPort(*listen); err != nil || !net.ParseIP(host).IsLoopback() {
		log.Fatalf("demoserver: --listen %q: must be a loopback address", *listen)
	}
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(time.Duration(500+rand.IntN(1500)) * time.Microsecond)
		fmt.Fprintln(w, "hello from the scalelab demo server")
	})
	srv := &http.Server{Addr: *listen, ReadHeaderTimeout: 5 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
