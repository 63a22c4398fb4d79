package cli

import (
	"errors"
	"fmt"
	"io/fs"

	"hato/protocol"
)

// loadKeys gives cfg the profile's RSA keys. On a first start they are made now when the user name
// needs them (--fingerprint-name) or wait is set (short-lived commands), else later: makeKeys then
// makes them while the node already runs. Without a profile nothing is kept: see makeKeys.
func (c *common) loadKeys(cfg *protocol.Config, wait bool) error {
	if c.profile == "" {
		return nil
	}
	k, err := protocol.LoadKeys(c.profile)
	switch {
	case err == nil:
		cfg.Keys = k
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("profile: %w", err)
	case wait || cfg.FingerprintName:
		if cfg.Keys, _, err = protocol.LoadOrCreateKeys(c.profile); err != nil {
			return fmt.Errorf("profile: %w", err)
		}
	}
	return nil
}

// makeKeys makes the keys a node started without (first start, or no profile: then they last as long as
// the process) and hands them to it; run it on its own goroutine. It returns them, or the error.
func (c *common) makeKeys(node *protocol.Node) (*protocol.Keys, error) {
	var (
		k   *protocol.Keys
		err error
	)
	if c.profile != "" {
		k, _, err = protocol.LoadOrCreateKeys(c.profile)
	} else {
		k, err = protocol.GenerateKeys(nil)
	}
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	node.SetKeys(k)
	return k, nil
}
