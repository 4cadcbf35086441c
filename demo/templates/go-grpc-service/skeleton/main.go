// Command ${{ values.name }} serves the Greeter API. The gRPC server is generated from
// proto/${{ values.name }}.proto with `buf generate`; this file serves health checks on :8080.
package main

import (
	"fmt"
	"log"
	"net/http"

	"github.com/${{ values.slug }}/internal/greeter"
)

const grpcPort = ${{ values.port }}

func main() {
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	log.Printf("%s: %s (gRPC on :%d)", "${{ values.name }}", greeter.Greet("world"), grpcPort)
	log.Fatal(http.ListenAndServe(":8080", nil))
}
