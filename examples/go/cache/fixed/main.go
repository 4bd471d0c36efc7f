// FIXED: the same per-user cache, bounded by entry count (LRU) and age (TTL).
//
// A doubly linked list (container/list) keeps entries in order of use; the
// map points into it. A hit moves its entry to the front, an insert beyond
// maxEntries evicts from the back, and entries older than the TTL count as
// misses. Memory is bounded by maxEntries x ~2.1 KiB (~2 MiB) however many
// users come by.
package main

import (
	"container/list"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"leakscope.invalid/examples/internal/service"
)

const (
	profileBytes = 2048
	maxEntries   = 1000
	ttl          = time.Minute
)

type entry struct {
	key       string
	value     []byte
	expiresAt time.Time
}

type lruCache struct {
	mu    sync.Mutex
	order *list.List               // front = most recently used
	index map[string]*list.Element // key -> element holding *entry
}

func newLRU() *lruCache {
	return &lruCache{order: list.New(), index: map[string]*list.Element{}}
}

func (c *lruCache) get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.index[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*entry)
	if time.Now().After(e.expiresAt) { // expired: drop it
		c.order.Remove(el)
		delete(c.index, key)
		return nil, false
	}
	c.order.MoveToFront(el)
	return e.value, true
}

func (c *lruCache) put(key string, value []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.index[key]; ok {
		c.order.Remove(el)
	}
	c.index[key] = c.order.PushFront(&entry{key, value, time.Now().Add(ttl)})
	// THE FIX: evict the least recently used entries beyond the limit.
	for c.order.Len() > maxEntries {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.index, oldest.Value.(*entry).key)
	}
}

func (c *lruCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

var profiles = newLRU()

func handle(w http.ResponseWriter, r *http.Request, user string) {
	profile, ok := profiles.get(user)
	if !ok {
		profile = service.Payload(`{"user":"`+user+`","bio":"`, profileBytes, 'x')
		profiles.put(user, profile)
	}
	fmt.Fprintf(w, "user %s: %d bytes\n", user, len(profile))
}

func main() {
	os.Exit(service.Run(service.Config{
		Name:            "go/cache/fixed",
		BytesPerRequest: 0,
		Handle:          handle,
		Retained:        profiles.len,
	}))
}
