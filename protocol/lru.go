package protocol

// lru is a map with a size limit: when full, putting a new key drops the least recently used one (after
// calling evicted). get, put and remove are O(1). Not safe for concurrent use.
type lru[K comparable, V any] struct {
	max     int
	items   map[K]*lruItem[K, V]
	root    lruItem[K, V] // sentinel of a circular list: root.next is the most recently used
	evicted func(K, V)
}

type lruItem[K comparable, V any] struct {
	key        K
	val        V
	prev, next *lruItem[K, V]
}

func newLRU[K comparable, V any](max int) *lru[K, V] {
	l := &lru[K, V]{max: max, items: map[K]*lruItem[K, V]{}}
	l.root.prev, l.root.next = &l.root, &l.root
	return l
}

// get returns the value for k and marks it used.
func (l *lru[K, V]) get(k K) (V, bool) {
	it, ok := l.items[k]
	if !ok {
		var zero V
		return zero, false
	}
	l.front(it)
	return it.val, true
}

// peek returns the value for k without marking it used.
func (l *lru[K, V]) peek(k K) (V, bool) {
	it, ok := l.items[k]
	if !ok {
		var zero V
		return zero, false
	}
	return it.val, true
}

// put sets k to v and marks it used, dropping the least recently used key if the map is full.
func (l *lru[K, V]) put(k K, v V) {
	if it, ok := l.items[k]; ok {
		it.val = v
		l.front(it)
		return
	}
	if len(l.items) >= l.max {
		l.evictOldest()
	}
	it := &lruItem[K, V]{key: k, val: v}
	l.items[k] = it
	l.link(it)
}

func (l *lru[K, V]) evictOldest() {
	old := l.root.prev
	if old == &l.root {
		return
	}
	l.unlink(old)
	delete(l.items, old.key)
	if l.evicted != nil {
		l.evicted(old.key, old.val)
	}
}

// remove drops k (without calling evicted).
func (l *lru[K, V]) remove(k K) {
	if it, ok := l.items[k]; ok {
		l.unlink(it)
		delete(l.items, k)
	}
}

func (l *lru[K, V]) len() int { return len(l.items) }

func (l *lru[K, V]) clear() {
	clear(l.items)
	l.root.prev, l.root.next = &l.root, &l.root
}

// each calls fn for every entry, most recently used first, until fn returns false. fn must not change l.
func (l *lru[K, V]) each(fn func(K, V) bool) {
	for it := l.root.next; it != &l.root; it = it.next {
		if !fn(it.key, it.val) {
			return
		}
	}
}

func (l *lru[K, V]) front(it *lruItem[K, V]) {
	if l.root.next == it {
		return
	}
	l.unlink(it)
	l.link(it)
}

func (l *lru[K, V]) link(it *lruItem[K, V]) {
	it.prev, it.next = &l.root, l.root.next
	l.root.next.prev = it
	l.root.next = it
}

func (l *lru[K, V]) unlink(it *lruItem[K, V]) {
	it.prev.next, it.next.prev = it.next, it.prev
	it.prev, it.next = nil, nil
}
