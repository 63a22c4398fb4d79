package crypt

import (
	"bytes"
	"strings"
	"testing"
)

// messageVectors are encrypted SENDMSG extensions and what they decode to. Key and Sign are short
// stand-ins here (the shape is what ParseMessage checks); the OpenSSL tests use real ones.
var messageVectors = []struct {
	name string
	in   string
	want Message
	out  string // what AppendMessage writes, when it differs from in
}{
	{name: "FeiQ: Blowfish, hex, no options", in: "20002:6b6579:3031323334353637",
		want: Message{Caps: 0x20002, Key: []byte("key"), Body: []byte("01234567")}},
	{name: "WIN AES, base64, SHA-256", in: "41900004:a2V5:MDEyMzQ1Njc4OWFiY2RlZg==:c2k=",
		want: Message{Caps: 0x41900004, Key: []byte("key"), Body: []byte("0123456789abcdef"), Sign: []byte("si")}},
	{name: "base64 without padding", in: "41900004:a2V5:MDEyMzQ1Njc4OWFiY2RlZg:c2k",
		want: Message{Caps: 0x41900004, Key: []byte("key"), Body: []byte("0123456789abcdef"), Sign: []byte("si")},
		out:  "41900004:a2V5:MDEyMzQ1Njc4OWFiY2RlZg==:c2k="},
	{name: "hex AES with SHA-1, uppercase", in: "20900004:6B6579:30313233343536373839616263646566:7369",
		want: Message{Caps: 0x20900004, Key: []byte("key"), Body: []byte("0123456789abcdef"), Sign: []byte("si")},
		out:  "20900004:6b6579:30313233343536373839616263646566:7369"},
	{name: "sign flag but no signature", in: "41900004:a2V5:MDEyMzQ1Njc4OWFiY2RlZg==",
		want: Message{Caps: 0x41900004, Key: []byte("key"), Body: []byte("0123456789abcdef")}},
	{name: "odd-length hex key (leading zero dropped)", in: "900004:102:30313233343536373839616263646566",
		want: Message{Caps: 0x900004, Key: []byte{0x01, 0x02}, Body: []byte("0123456789abcdef")},
		out:  "900004:0102:30313233343536373839616263646566"},
	{name: "old client: RC2-40", in: "1002:6b6579:3031323334353637",
		want: Message{Caps: RSA1024 | RC2_40, Key: []byte("key"), Body: []byte("01234567")}},
	{name: "W4.99 1024 pair, base64", in: "1820002:a2V5:MDEyMzQ1Njc=",
		want: Message{Caps: 0x01820002, Key: []byte("key"), Body: []byte("01234567")}},
}

func TestParseMessage(t *testing.T) {
	for _, v := range messageVectors {
		m, err := ParseMessage([]byte(v.in))
		if err != nil {
			t.Errorf("%s: %v", v.name, err)
			continue
		}
		if !equalMessage(m, v.want) {
			t.Errorf("%s: ParseMessage = %+v, want %+v", v.name, m, v.want)
		}
		want := v.out
		if want == "" {
			want = v.in
		}
		if got := string(AppendMessage(nil, m)); got != want {
			t.Errorf("%s: AppendMessage = %q, want %q", v.name, got, want)
		}
	}
}

func TestParseMessageErrors(t *testing.T) {
	body16 := "30313233343536373839616263646566"
	for _, tc := range []struct{ in, err string }{
		{"", "encrypted message: 1 fields"},
		{"20002:6b6579", "encrypted message: 2 fields"},
		{"41900004:a2V5:MDEy:c2k=:x", "encrypted message: 5 fields"},
		{"2000g:6b6579:3031323334353637", "encrypted message: caps: "},
		{"123456789:6b6579:3031323334353637", "encrypted message: caps: "},
		{"20000:6b6579:3031323334353637", "encrypted message: caps: "},  // no RSA size
		{"2:6b6579:3031323334353637", "encrypted message: caps: "},      // no cipher
		{"20006:6b6579:3031323334353637", "encrypted message: caps: "},  // two RSA sizes
		{"120004:6b6579:3031323334353637", "encrypted message: caps: "}, // two ciphers
		{"400004:6b6579:3031323334353637", "encrypted message: caps: "}, // G2's AES_256 bit
		{"20002::3031323334353637", "encrypted message: key: empty"},    //
		{"20002:6b657g:3031323334353637", "encrypted message: key: "},   //
		{"20002:" + strings.Repeat("00", 129) + ":3031323334353637", "encrypted message: key: 129 bytes"},
		{"20002:6b6579:", "encrypted message: body: empty"},
		{"20002:6b6579:303132333435363", "encrypted message: body: odd"},
		{"20002:6b6579:30313233343536", "encrypted message: body: 7 bytes"},
		{"100004:6b6579:3031323334353637", "encrypted message: body: 8 bytes"}, // AES needs 16
		{"20002:6b6579:3031323334353637:7369", "encrypted message: sign: "},    // no sign flag
		{"20020002:6b6579:3031323334353637:", "encrypted message: sign: empty"},
		{"20020002:6b6579:3031323334353637:zz", "encrypted message: sign: "},
		{"20020002:6b6579:3031323334353637:" + strings.Repeat("ab", 513), "encrypted message: sign: 513 bytes"},
		{"41900004:a2V5:MDEyMzQ1Njc4OWFiY2RlZg=:c2k=", "encrypted message: body: bad base64 padding"},
		{"41900004:a2V5:MDEyMzQ1Njc4OWFiY2RlZg===:c2k=", "encrypted message: body: bad base64 padding"},
		{"41900004:a2V5:MDEyMzQ1Njc4\nOWFiY2RlZg==", "encrypted message: body: "},
		{"41900004:a2V5:MDEyMzQ1Njc4OWFiY2RlZ-==", "encrypted message: body: "},
		{"41900004:a2V5:MDEyMzQ1Njc4OWFiY2RlZgA", "encrypted message: body: "}, // 22+ chars: 17 bytes... not a block multiple
		{"41900004:a:MDEyMzQ1Njc4OWFiY2RlZg==", "encrypted message: key: "},    // 1 base64 char is no byte
		{"41900004:==:MDEyMzQ1Njc4OWFiY2RlZg==", "encrypted message: key: "},
		{"41900004:a2V5:" + body16, "encrypted message: body: "}, // hex where base64 is due: 24 bytes
		{"900004:a2V5:" + body16, "encrypted message: key: "},    // base64 where hex is due
	} {
		m, err := ParseMessage([]byte(tc.in))
		if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
			t.Errorf("ParseMessage(%.50q) = %+v, %v; want error %q", tc.in, m, err, tc.err)
		}
	}
}

func equalMessage(a, b Message) bool {
	return a.Caps == b.Caps && bytes.Equal(a.Key, b.Key) && bytes.Equal(a.Body, b.Body) && bytes.Equal(a.Sign, b.Sign)
}
