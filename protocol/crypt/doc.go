// Package crypt is IP Messenger's encryption layer as the Windows client does it (INTEROP.md §1.5, §3.6,
// draft-14 §4): capability flags, the ANSPUBKEY key answer, encrypted SENDMSG bodies (RSA + AES-256 or
// Blowfish-128 in CBC), RSA signatures and fingerprinted user names. Pure byte handling: no sockets,
// no files; keys and randomness come from the caller.
package crypt
