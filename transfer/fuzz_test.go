package transfer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"hato/protocol/crypt"
)

// Every codec of peer bytes has a fuzz target. The vectors of the other tests seed them; testdata/fuzz keeps
// inputs that found new coverage, and every plain `go test` replays them.

func FuzzParseFileList(f *testing.F) {
	for _, v := range fileListVectors {
		f.Add(v.list)
	}
	f.Add("1:a.txt:5:0:1\a:2:b:6:65937d25:2:\a\x00")
	f.Add("100:before:1:0:1:\a1:a:zz:0:1:\a101:after:2:0:2:\a")
	f.Add("0:bashrc:ffffffffffffffff:0:1:\a:") // iptux's own test: size -1
	f.Add("1:::::5:0:1:8=1a:14=:\x00:\a")
	f.Fuzz(func(t *testing.T, s string) {
		files, err := ParseFileList(s)
		if err != nil && !strings.HasPrefix(err.Error(), "file list entry ") {
			t.Fatalf("error %q", err)
		}
		for _, f := range files {
			if typ := f.Type(); typ != TypeRegular && typ != TypeDir && typ != TypeClipboard {
				t.Fatalf("kept an entry of type %#x: %+v", typ, f)
			}
			if f.Size < 0 || strings.ContainsRune(f.Name, '\a') {
				t.Fatalf("entry %+v", f)
			}
		}
		// Whatever parsed comes back the same after AppendFileList.
		out := AppendFileList(nil, files)
		back, err := ParseFileList(string(out))
		if err != nil || !reflect.DeepEqual(back, files) {
			t.Fatalf("round trip of %q through %q:\n got %+v, %v\nwant %+v", s, out, back, err, files)
		}
		if again := AppendFileList(nil, back); !bytes.Equal(again, out) {
			t.Fatalf("AppendFileList not stable: %q then %q", out, again)
		}
	})
}

func FuzzParseRequestArgs(f *testing.F) {
	for _, v := range requestVectors {
		f.Add(v.msg)
	}
	f.Add("5:1:0:extra")
	f.Add("5:zz:0")
	f.Add("6b028113:99999999999999999999:0")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseRequestArgs(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "file request ") {
				t.Fatalf("error %q", err)
			}
			return
		}
		ids := a.IDs()
		hex, herr := strconv.ParseUint(a.FileID, 16, 64)
		if herr != nil || len(ids) == 0 || len(ids) > 2 || ids[0] != hex || a.Offset < 0 ||
			(len(ids) == 2 && ids[1] == ids[0]) {
			t.Fatalf("ParseRequestArgs(%q) = %+v, IDs %v", s, a, ids)
		}
		// What we would send for it reads back the same.
		for _, msg := range []string{FileDataArgs(a.Packet, ids[0], a.Offset), DirFilesArgs(a.Packet, ids[0])} {
			b, err := ParseRequestArgs(msg)
			if err != nil || b.Packet != a.Packet || b.IDs()[0] != ids[0] {
				t.Fatalf("%q: %+v, %v", msg, b, err)
			}
		}
		if b, _ := ParseRequestArgs(FileDataArgs(a.Packet, ids[0], a.Offset)); b.Offset != a.Offset {
			t.Fatalf("offset %d came back %d", a.Offset, b.Offset)
		}
	})
}

// dirHeaderLen is the length AppendDirHeader gives h, however long.
func dirHeaderLen(h DirHeader) int {
	n := 5 + len(h.Name) + strings.Count(h.Name, ":") + 1
	n += max(9, len(strconv.FormatUint(uint64(h.Size), 16))) + 1
	n += len(strconv.FormatUint(uint64(h.Attr), 16)) + 1
	for _, e := range h.Ext {
		n += len(strconv.FormatUint(uint64(e.Code), 16)) + 1 + len(e.Value) + 1
	}
	return n
}

// checkDirHeaderRoundTrip checks that a parsed header is written back, when it fits, so that it parses equal.
func checkDirHeaderRoundTrip(t *testing.T, h DirHeader) {
	out, ok := AppendDirHeader([]byte("x"), h)
	if want := dirHeaderLen(h); ok != (want <= MaxDirHeader) || (ok && len(out)-1 != want) || (!ok && string(out) != "x") {
		t.Fatalf("AppendDirHeader(%+v) = %q, %v; want %d bytes", h, out, ok, want)
	}
	if !ok {
		return
	}
	out = out[1:]
	back, err := ParseDirHeader(out)
	if err != nil || !reflect.DeepEqual(back, h) {
		t.Fatalf("round trip through %q:\n got %+v, %v\nwant %+v", out, back, err, h)
	}
	if again, _ := AppendDirHeader(nil, back); !bytes.Equal(again, out) {
		t.Fatalf("AppendDirHeader not stable: %q then %q", out, again)
	}
}

func FuzzParseDirHeader(f *testing.F) {
	for _, v := range dirHeaderVectors {
		f.Add([]byte(v.header))
	}
	f.Add([]byte("0024:.:0:3:14=65937d25:16=6b027b4f:"))
	f.Add([]byte("0011:::::5:1:8=:"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseDirHeader(b)
		if err != nil {
			if !errors.Is(err, ErrHeader) {
				t.Fatalf("error %q is not ErrHeader", err)
			}
			return
		}
		if n, _ := strconv.ParseUint(string(b[:4]), 16, 16); int(n) != len(b) || h.Size < 0 {
			t.Fatalf("ParseDirHeader(%q) = %+v", b, h)
		}
		checkDirHeaderRoundTrip(t, h)
	})
}

func FuzzReadDirHeader(f *testing.F) {
	for _, v := range dirHeaderVectors {
		f.Add([]byte(v.header+"data"), false)
		f.Add([]byte(v.header), true)
	}
	f.Add([]byte(""), false)
	f.Add([]byte("002"), true)
	f.Add([]byte("0023:.:0:3:14="), false)
	f.Add([]byte("0401:"+strings.Repeat("x", 1030)), false)
	f.Add([]byte("0400:"+strings.Repeat("x", 1030)), true)
	f.Fuzz(func(t *testing.T, b []byte, oneByte bool) {
		src := bytes.NewReader(b)
		var r io.Reader = src
		if oneByte {
			r = iotest.OneByteReader(src)
		}
		buf := bytes.Repeat([]byte{'#'}, MaxDirHeader)
		h, err := ReadDirHeader(r, buf)
		read := len(b) - src.Len()

		// Never past the declared length: 5 bytes to learn it, then at most that many.
		limit := min(5, len(b))
		if len(b) >= 5 && b[4] == ':' {
			if n, perr := strconv.ParseUint(string(b[:4]), 16, 16); perr == nil && n >= 5 && n <= MaxDirHeader {
				limit = int(n)
			}
		}
		if read > limit {
			t.Fatalf("ReadDirHeader(%q) read %d bytes, limit %d", b, read, limit)
		}

		switch {
		case len(b) == 0:
			if err != io.EOF {
				t.Fatalf("empty stream: %v, want io.EOF", err)
			}
			return
		case err != nil:
			if !errors.Is(err, ErrHeader) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("ReadDirHeader(%q): error %v", b, err)
			}
			return
		}
		if read != limit {
			t.Fatalf("ReadDirHeader(%q) read %d bytes of a %d-byte header", b, read, limit)
		}
		// The header does not share buf, which the next call overwrites.
		for i := range buf {
			buf[i] = '#'
		}
		p, perr := ParseDirHeader(b[:read])
		if perr != nil || !reflect.DeepEqual(h, p) {
			t.Fatalf("ReadDirHeader(%q) = %+v; ParseDirHeader = %+v, %v", b, h, p, perr)
		}
		checkDirHeaderRoundTrip(t, h)
	})
}

// PlaceImages takes positions from the network: whatever they say, each image lands on a character
// boundary inside the text, in order, at most MaxInlineImages of them.
func FuzzPlaceImages(f *testing.F) {
	f.Add("見て😀ください", "2:ipmsgclip_s_1_1.png:10:0:20:8=1:\a3:ipmsgclip_s_1_5.png:10:0:20:8=5:\a")
	f.Add("a😀b", "0:x.png:1:0:20:8=2:\a1:y.png:1:0:20:8=ffffffffffff:\a")
	f.Add("", "0:x.png:1:0:20:8=zz:\a")
	f.Fuzz(func(t *testing.T, text, list string) {
		files, _ := ParseFileList(list)
		placed := PlaceImages(text, files)
		if len(placed) > MaxInlineImages {
			t.Fatalf("%d images placed", len(placed))
		}
		starts := map[int]bool{len(text): true} // where a character starts, as range sees it
		for i := range text {
			starts[i] = true
		}
		for i, p := range placed {
			if !starts[p.At] {
				t.Fatalf("image %d at %d in %q", i, p.At, text)
			}
			if i > 0 && p.At < placed[i-1].At {
				t.Fatalf("image %d at %d before image %d at %d", i, p.At, i-1, placed[i-1].At)
			}
		}
	})
}

// FuzzParseSealedArgs: the decrypted text of a sealed file request comes from whoever holds a key we
// verify, and before the signature is checked from anybody. It never panics, never says the data is
// encrypted without a 32-byte key, and whatever it reads is written back (AppendSealedArgs, or a plain
// request's WIN shape) to a text that reads the same.
func FuzzParseSealedArgs(f *testing.F) {
	for _, v := range sealedVectors {
		f.Add(v.text)
		f.Add(v.text + "\x00")
	}
	f.Add("6553f100:1:900000:" + seqKeyHex)
	f.Add("6553f100:1:0:900000:" + seqKeyHex)
	f.Add("5:1:900000:900000:" + seqKeyHex)
	f.Add("5:1:4000000:")
	f.Add("5:1:900000:")
	f.Add("5:1::900000:" + seqKeyHex + ":6")
	f.Add("5:1:900000:" + seqKeyHex + ":6:7")
	f.Add("5:1:0:4000000:6:7")
	f.Add("5:1:900000:" + strings.ToUpper(seqKeyHex) + ":6")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseSealedArgs(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "encrypted file request") && !strings.HasPrefix(err.Error(), "file request ") {
				t.Fatalf("ParseSealedArgs(%q): error %q", s, err)
			}
			return
		}
		if _, herr := strconv.ParseUint(a.FileID, 16, 64); herr != nil || a.Offset < 0 {
			t.Fatalf("ParseSealedArgs(%q) = %+v", s, a)
		}
		switch a.Caps {
		case crypt.FileCaps:
			if len(a.Key) != crypt.FileKeyLen || !a.Encrypted() {
				t.Fatalf("ParseSealedArgs(%q) = %+v: encrypted with a %d-byte key", s, a, len(a.Key))
			}
		case crypt.FileCapsClear:
			if a.Key != nil || !a.HasReqNo || a.Encrypted() {
				t.Fatalf("ParseSealedArgs(%q) = %+v: NOENC with a key or without reqNo", s, a)
			}
		case 0:
			if a.Key != nil || a.HasReqNo || a.ReqNo != 0 || a.Encrypted() {
				t.Fatalf("ParseSealedArgs(%q) = %+v: only sealed, with key or reqNo", s, a)
			}
			for _, out := range []string{
				fmt.Sprintf("%x:%s:%x:", a.Packet, a.FileID, a.Offset), // WIN
				fmt.Sprintf("%x:%s:%x", a.Packet, a.FileID, a.Offset),  // iptux
			} {
				if b, err := ParseSealedArgs(out); err != nil || !reflect.DeepEqual(b, a) {
					t.Fatalf("ParseSealedArgs(%q) = %+v; written back as %q: %+v, %v", s, a, out, b, err)
				}
			}
			return
		default:
			t.Fatalf("ParseSealedArgs(%q) = %+v: caps %X", s, a, uint32(a.Caps))
		}
		// GETFILEDATA always fits; GETDIRFILES when there is no offset to carry.
		dirs := []bool{false}
		if a.Offset == 0 {
			dirs = append(dirs, true)
		}
		for _, dir := range dirs {
			out := string(AppendSealedArgs(nil, dir, a))
			if !a.HasReqNo { // generation 1: the same text without the trailing field
				if !strings.HasSuffix(out, ":0") || a.ReqNo != 0 {
					t.Fatalf("ParseSealedArgs(%q) = %+v; written as %q", s, a, out)
				}
				out = strings.TrimSuffix(out, ":0")
			}
			b, err := ParseSealedArgs(out)
			if err != nil || !reflect.DeepEqual(b, a) {
				t.Fatalf("ParseSealedArgs(%q) = %+v; written back (dir %v) as %q:\n %+v, %v", s, a, dir, out, b, err)
			}
			if again := string(AppendSealedArgs(nil, dir, b)); a.HasReqNo && again != out {
				t.Fatalf("AppendSealedArgs not stable: %q then %q", out, again)
			}
		}
	})
}
