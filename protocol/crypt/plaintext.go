package crypt

import "bytes"

// Recipient is one entry of the "TO:" list: raw user and host names in the message's charset.
type Recipient struct{ User, Host string }

// AppendPlaintext appends the plaintext of a message sent with ENCEXTMSGOPT (draft-14 §3 5, 6):
// "text\0", then "files\0" when there is a file list or a recipient list (so "text\0\0TO:..." without
// files), then "TO:u1:h1\au2:h2\0" when there are recipients. The node keeps the list to WIN's 30.
func AppendPlaintext(dst, text, files []byte, to []Recipient) []byte {
	dst = append(append(dst, text...), 0)
	if len(files) == 0 && len(to) == 0 {
		return dst
	}
	dst = append(append(dst, files...), 0)
	if len(to) == 0 {
		return dst
	}
	dst = append(dst, "TO:"...)
	for i, r := range to {
		if i > 0 {
			dst = append(dst, '\a')
		}
		dst = append(append(append(dst, r.User...), ':'), r.Host...)
	}
	return append(dst, 0)
}

// SplitPlaintext splits a decrypted plaintext into the text (up to the first NUL), the file list (up to
// the next NUL) and the recipients of an optional "TO:" part after it. Missing NULs are fine: without
// any, everything is text. Entries that are not exactly "user:host" with both names non-empty are
// skipped, and so are empty ones (a trailing '\a'). text and files alias b.
func SplitPlaintext(b []byte) (text, files []byte, to []Recipient) {
	text, rest, _ := bytes.Cut(b, []byte{0})
	files, rest, _ = bytes.Cut(rest, []byte{0})
	list, _, _ := bytes.Cut(rest, []byte{0})
	ulist, ok := bytes.CutPrefix(list, []byte("TO:"))
	if !ok {
		return text, files, nil
	}
	for e := range bytes.SplitSeq(ulist, []byte{'\a'}) {
		user, host, ok := bytes.Cut(e, []byte{':'})
		if !ok || len(user) == 0 || len(host) == 0 || bytes.IndexByte(host, ':') >= 0 {
			continue
		}
		to = append(to, Recipient{User: string(user), Host: string(host)})
	}
	return text, files, to
}
