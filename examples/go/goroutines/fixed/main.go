// FIXED: the per-request goroutine gives up when the request's context ends.
//
// net/http cancels r.Context() when ServeHTTP returns or the client goes
// away. The goroutine selects between sending its result and that
// cancellation, so once the handler has returned without receiving, the
// goroutine drops the page and exits: go_goroutines returns to its
// baseline after every request.
package main

import (
	"fmt"
	"net/http"
	"os"
	"sync/atomic"

	"leakscope.invalid/examples/internal/service"
)

const pageBytes = 2048

var blocked atomic.Int64 // goroutines currently waiting to hand over a page

func handle(w http.ResponseWriter, r *http.Request, user string) {
	ctx := r.Context()
	recs := make(chan []byte)
	go func() {
		page := service.Payload("recommendations for "+user+": ", pageBytes, 'r')
		blocked.Add(1)
		defer blocked.Add(-1)
		select {
		case recs <- page: // the handler is waiting for it
		case <-ctx.Done(): // THE FIX: the request is over; nobody will receive
		}
	}()

	if r.URL.Query().Get("recs") == "1" {
		page := <-recs
		fmt.Fprintf(w, "user %s: %d bytes of recommendations\n", user, len(page))
		return
	}
	fmt.Fprintf(w, "user %s: ok\n", user)
}

func main() {
	os.Exit(service.Run(service.Config{
		Name:            "go/goroutines/fixed",
		BytesPerRequest: 0,
		Handle:          handle,
		Retained:        func() int { return int(blocked.Load()) },
	}))
}
