// LEAKY: a goroutine started per request that blocks forever on a channel.
//
// Each /user/<n> request starts a goroutine that renders the user's
// recommendations (2 KiB) and hands them back on an unbuffered channel. The
// handler only receives from that channel when the client asked for them
// (?recs=1). Otherwise nobody ever receives, so the send blocks forever and
// the goroutine -- its stack and the 2 KiB page it holds -- is never freed.
// Retained per request (without ?recs=1): one goroutine (go_goroutines +1,
// ~2 KiB of stack) plus the 2,048-byte page on the heap.
package main

import (
	"fmt"
	"net/http"
	"os"
	"sync/atomic"

	"leakscope.invalid/examples/internal/service"
)

const pageBytes = 2048

var blocked atomic.Int64 // goroutines currently stuck on their send

func handle(w http.ResponseWriter, r *http.Request, user string) {
	recs := make(chan []byte) // unbuffered: a send waits for a receiver
	go func() {
		page := service.Payload("recommendations for "+user+": ", pageBytes, 'r')
		blocked.Add(1)
		recs <- page // THE LEAK: blocks forever when the handler did not wait
		blocked.Add(-1)
	}()

	if r.URL.Query().Get("recs") == "1" {
		page := <-recs
		fmt.Fprintf(w, "user %s: %d bytes of recommendations\n", user, len(page))
		return
	}
	fmt.Fprintf(w, "user %s: ok\n", user) // returns without receiving from recs
}

func main() {
	os.Exit(service.Run(service.Config{
		Name:            "go/goroutines/leaky",
		BytesPerRequest: pageBytes,
		Handle:          handle,
		Retained:        func() int { return int(blocked.Load()) },
	}))
}
