package crypt

import (
	"crypto/rand"
	"crypto/rsa"
	"sync"
	"testing"
)

// Test keys: one of each size per test binary; generating them is the slow part of the tests.
var (
	keysOnce         sync.Once
	key1024, key2048 *rsa.PrivateKey
	keysErr          error
)

func testKeys(t testing.TB) (k1024, k2048 *rsa.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		if key1024, keysErr = rsa.GenerateKey(rand.Reader, 1024); keysErr != nil {
			return
		}
		key2048, keysErr = rsa.GenerateKey(rand.Reader, 2048)
	})
	if keysErr != nil {
		t.Fatal(keysErr)
	}
	return key1024, key2048
}

// testKey returns our test key of the size alg names.
func testKey(t testing.TB, alg Caps) *rsa.PrivateKey {
	k1024, k2048 := testKeys(t)
	if alg.Has(RSA2048) {
		return k2048
	}
	return k1024
}
