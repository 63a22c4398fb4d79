package protocol

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Keys are our RSA key pairs: the 2048-bit one for RSA2048+AES256 and signatures, the 1024-bit one for
// peers that only have RSA1024+Blowfish128 (FeiQ). They are made once and kept in the profile.
type Keys struct {
	RSA2048 *rsa.PrivateKey
	RSA1024 *rsa.PrivateKey
}

// Key files in a profile folder: PKCS#8 PEM, readable only by the owner.
const (
	keyFile2048 = "key-rsa2048.pem"
	keyFile1024 = "key-rsa1024.pem"
)

// GenerateKeys makes a new pair of keys. It takes a second or so: callers run it off the UI thread.
func GenerateKeys(rnd io.Reader) (*Keys, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	k2, err := rsa.GenerateKey(rnd, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate rsa-2048 key: %w", err)
	}
	k1, err := rsa.GenerateKey(rnd, 1024)
	if err != nil {
		return nil, fmt.Errorf("generate rsa-1024 key: %w", err)
	}
	return &Keys{RSA2048: k2, RSA1024: k1}, nil
}

// LoadKeys reads the keys kept in dir. It returns an error wrapping fs.ErrNotExist when dir has none yet.
func LoadKeys(dir string) (*Keys, error) {
	k2, err := readKey(filepath.Join(dir, keyFile2048), 2048)
	if err != nil {
		return nil, err
	}
	k1, err := readKey(filepath.Join(dir, keyFile1024), 1024)
	if err != nil {
		return nil, err
	}
	return &Keys{RSA2048: k2, RSA1024: k1}, nil
}

// LoadOrCreateKeys reads the keys kept in dir, or makes and saves new ones on the first start.
func LoadOrCreateKeys(dir string) (k *Keys, created bool, err error) {
	k, err = LoadKeys(dir)
	if !errors.Is(err, fs.ErrNotExist) {
		return k, false, err
	}
	if k, err = GenerateKeys(nil); err != nil {
		return nil, false, err
	}
	return k, true, k.Save(dir)
}

// Save writes both keys to dir (created 0700 if missing) with mode 0600, each through a temporary file
// so that a crash never leaves half a key.
func (k *Keys) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("save keys: %w", err)
	}
	for name, key := range map[string]*rsa.PrivateKey{keyFile2048: k.RSA2048, keyFile1024: k.RSA1024} {
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return fmt.Errorf("save key %s: %w", name, err)
		}
		path := filepath.Join(dir, name)
		tmp := path + ".tmp"
		b := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
		if err := os.WriteFile(tmp, b, 0o600); err != nil {
			return fmt.Errorf("save key: %w", err)
		}
		if err := os.Rename(tmp, path); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("save key: %w", err)
		}
	}
	return nil
}

func readKey(path string, bits int) (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load key: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("load key %s: not a PEM private key", path)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("load key %s: %w", path, err)
	}
	rk, ok := key.(*rsa.PrivateKey)
	if !ok || rk.N.BitLen() != bits {
		return nil, fmt.Errorf("load key %s: want an RSA-%d key", path, bits)
	}
	return rk, nil
}
