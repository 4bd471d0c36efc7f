// LEAKY: an in-memory cache keyed per user that nothing ever evicts.
//
// Every /user/<n> request builds a 2 KiB profile and stores it in a global
// map "so the next request for that user is fast". With a new user on every
// request the map only grows. Retained per request: the 2,048-byte profile
// plus the key and the map slot (~2.1 KiB of heap).
package main

import (
	"fmt"
	"net/http"
	"os"
	"sync"

	"leakscope.invalid/examples/internal/service"
)

const profileBytes = 2048

// THE LEAK: a global map with no size limit and no expiry.
var (
	mu       sync.Mutex
	profiles = map[string][]byte{}
)

func handle(w http.ResponseWriter, r *http.Request, user string) {
	mu.Lock()
	profile, ok := profiles[user]
	if !ok {
		profile = service.Payload(`{"user":"`+user+`","bio":"`, profileBytes, 'x')
		profiles[user] = profile // stored forever
	}
	mu.Unlock()
	fmt.Fprintf(w, "user %s: %d bytes\n", user, len(profile))
}

func main() {
	os.Exit(service.Run(service.Config{
		Name:            "go/cache/leaky",
		BytesPerRequest: profileBytes,
		Handle:          handle,
		Retained: func() int {
			mu.Lock()
			defer mu.Unlock()
			return len(profiles)
		},
	}))
}
