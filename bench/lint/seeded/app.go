// Seeded with the checklist items (bench/lint, docs/benchmarks/lint.md): each LEAK line is one
// item; nothing here is a fix.
package main

import (
	"database/sql"
	"net/http"
	"os"
	"time"
)

var sessions = map[string][]byte{}
var db *sql.DB

func handle(w http.ResponseWriter, r *http.Request) {
	sessions[r.URL.Path] = []byte(r.URL.RawQuery) // LEAK C1: unbounded package cache
	results := make(chan string)
	go func() {
		results <- slow(r.URL.Path) // LEAK C4: blocks forever when the handler returns early
	}()
	if r.URL.Query().Get("fast") == "1" {
		return
	}
	w.Write([]byte(<-results))
	t := time.NewTicker(time.Second) // LEAK C8: ticker never stopped (go.mod < 1.23)
	<-t.C
	f, _ := os.Open("/tmp/audit.log") // LEAK C7: file never closed
	f.Read(make([]byte, 10))
	rows, _ := db.Query("SELECT * FROM orders") // LEAK C3 (no LIMIT) and C6 (rows never closed)
	for rows.Next() {
	}
	resp, _ := http.Get("http://127.0.0.1:9000/") // LEAK C7: body never closed
	_ = resp.StatusCode
}

func slow(p string) string { return p }
