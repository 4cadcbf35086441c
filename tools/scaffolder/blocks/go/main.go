// Command ${{ values.name }}: ${{ values.description }}
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/${{ values.slug }}/internal/config"
)

func main() {
	cfg := config.Load(os.Getenv)
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	log.Printf("${{ values.name }} starting (database host %q{% if values.grpc %}, gRPC port ${{ values.port }}{% endif %})", cfg.DatabaseHost())
	log.Fatal(http.ListenAndServe(":8080", nil))
}
