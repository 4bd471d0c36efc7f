// Package service is the shared plumbing of the Go example services: port
// selection, routing, /metrics (Prometheus text), /stats (JSON), the
// net/http/pprof handlers and clean shutdown on SIGTERM/SIGINT. Each example
// main package holds only the code that leaks (or does not).
package service

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof/* on http.DefaultServeMux
	"os"
	"os/signal"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Config describes one example service.
type Config struct {
	Name            string // e.g. "go/cache/leaky"
	BytesPerRequest int    // heap bytes the leaky variant means to retain per request
	// Handle serves /user/<key> and /req/<key>.
	Handle func(w http.ResponseWriter, r *http.Request, key string)
	// Retained reports how many entries the pattern currently retains.
	Retained func() int
}

var keyRE = regexp.MustCompile(`^/(?:user|req)/([0-9A-Za-z_-]{1,64})$`)

// Run listens on 127.0.0.1 (port from --port, else $PORT, else 0) and serves
// until SIGTERM or SIGINT. It returns the process exit code.
func Run(cfg Config) int {
	defaultPort := 0
	if env := os.Getenv("PORT"); env != "" {
		p, err := strconv.Atoi(env)
		if err != nil {
			fmt.Fprintf(os.Stderr, "invalid PORT %q: use an integer 0-65535\n", env)
			return 2
		}
		defaultPort = p
	}
	port := flag.Int("port", defaultPort, "TCP port on 127.0.0.1 (0 = ephemeral)")
	flag.Parse()

	var requests atomic.Int64
	mux := http.DefaultServeMux // the same mux that net/http/pprof registered on
	serveKey := func(w http.ResponseWriter, r *http.Request) {
		m := keyRE.FindStringSubmatch(r.URL.Path)
		if m == nil {
			http.NotFound(w, r)
			return
		}
		requests.Add(1)
		cfg.Handle(w, r, m[1])
	}
	mux.HandleFunc("/user/", serveKey)
	mux.HandleFunc("/req/", serveKey)
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		var b strings.Builder
		metric := func(name, typ, help string, value uint64) {
			fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", name, help, name, typ, name, value)
		}
		metric("process_resident_memory_bytes", "gauge", "Resident set size in bytes.", rssBytes())
		metric("go_memstats_heap_inuse_bytes", "gauge", "Bytes in in-use heap spans.", ms.HeapInuse)
		metric("go_memstats_heap_alloc_bytes", "gauge", "Bytes of allocated heap objects.", ms.HeapAlloc)
		metric("go_memstats_stack_inuse_bytes", "gauge", "Bytes in stack spans.", ms.StackInuse)
		metric("go_goroutines", "gauge", "Number of goroutines that currently exist.", uint64(runtime.NumGoroutine()))
		metric("app_requests_total", "counter", "Requests served on /user and /req.", uint64(requests.Load()))
		metric("app_retained_entries", "gauge", "Entries the example retains.", uint64(cfg.Retained()))
		fmt.Fprint(w, b.String())
	})
	mux.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) {
		runtime.GC() // measure what is live, not what is waiting to be collected
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]interface{}{
			"service":                             cfg.Name,
			"requests":                            requests.Load(),
			"retained_entries":                    cfg.Retained(),
			"intended_retained_bytes_per_request": cfg.BytesPerRequest,
			"heap_inuse_bytes":                    ms.HeapInuse,
			"heap_alloc_bytes":                    ms.HeapAlloc,
			"stack_inuse_bytes":                   ms.StackInuse,
			"goroutines":                          runtime.NumGoroutine(),
			"rss_bytes":                           rssBytes(),
			"gc":                                  true,
		})
	})

	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(*port)))
	if err != nil {
		fmt.Fprintf(os.Stderr, "cannot listen on 127.0.0.1:%d: %v\n", *port, err)
		return 2
	}
	fmt.Printf("listening on %s\n", ln.Addr())

	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		fmt.Println("shutting down")
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		log.Printf("serve: %v", err)
		return 1
	}
	return 0
}

// rssBytes reads the resident set size from /proc/self/statm (0 if unreadable).
func rssBytes() uint64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(data))
	if len(fields) < 2 {
		return 0
	}
	pages, err := strconv.ParseUint(fields[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * uint64(os.Getpagesize())
}

// Payload returns a new byte slice of exactly size bytes that starts with prefix.
func Payload(prefix string, size int, fill byte) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = fill
	}
	copy(b, prefix)
	return b
}
