package crypt

import (
	"errors"
	"strings"
	"testing"
)

func TestSupported(t *testing.T) {
	if Supported != 0x61920006 {
		t.Fatalf("Supported = %#x, want 0x61920006", uint32(Supported))
	}
	// W4.99 advertises the same plus NoEncFileBody (INTEROP.md §1.5).
	if Supported|NoEncFileBody != 0x65920006 {
		t.Fatalf("Supported|NoEncFileBody = %#x", uint32(Supported|NoEncFileBody))
	}
}

func TestHas(t *testing.T) {
	c := Caps(0x41900004)
	for _, x := range []Caps{0, RSA2048, RSA2048 | AES256, SignSHA256 | EncodeBase64 | PacketNoIV, c} {
		if !c.Has(x) {
			t.Errorf("%#x.Has(%#x) = false", uint32(c), uint32(x))
		}
	}
	for _, x := range []Caps{RSA1024, RSA2048 | RSA1024, SignSHA1} {
		if c.Has(x) {
			t.Errorf("%#x.Has(%#x) = true", uint32(c), uint32(x))
		}
	}
}

func TestParseCaps(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Caps
	}{
		{"65920006", 0x65920006}, // W4.99 GETPUBKEY, lowercase %x
		{"41900004", 0x41900004}, // W4.99 SENDMSG, %X
		{"21003", 0x21003},       // FeiQ
		{"20002", 0x20002},
		{"900004", 0x900004},
		{"0", 0},
		{"FFFFFFFF", 0xFFFFFFFF},
		{"aBcDeF", 0xABCDEF},
		{"00000001", 1},
	} {
		got, err := ParseCaps([]byte(tc.in))
		if err != nil || got != tc.want {
			t.Errorf("ParseCaps(%q) = %#x, %v; want %#x", tc.in, uint32(got), err, uint32(tc.want))
		}
	}
	for _, in := range []string{"", "123456789", "000000001", "12g", "-1", "+1", "0x1", " 1", "1 ", "1\x00", "1_0", "６５"} {
		if got, err := ParseCaps([]byte(in)); err == nil || !strings.HasPrefix(err.Error(), "caps: ") {
			t.Errorf("ParseCaps(%q) = %#x, %v; want a caps: error", in, uint32(got), err)
		}
	}
}

func TestChoose(t *testing.T) {
	for _, tc := range []struct {
		name    string
		peer    Caps
		keyBits int
		want    Caps // 0: ErrNoCommonCipher
	}{
		{"FeiQ 21003, 1024 key", 0x21003, 1024, 0x20002},
		{"FeiQ 21003, 2048 key", 0x21003, 2048, 0},
		{"W4.99 with its 2048 key", 0x65920006, 2048, 0x41900004},
		{"W4.99 with its 1024 key", 0x65920006, 1024, 0x01820002},
		{"pre-XP WIN, 2048", 0x64920006, 2048, 0x40900004},
		{"Hato", Supported, 2048, 0x41900004},
		{"SHA-1 only", RSA2048 | AES256 | SignSHA1, 2048, 0x20100004},
		{"no options", RSA2048 | AES256, 2048, 0x100004},
		{"1024 pair never signs", RSA1024 | Blowfish128 | SignSHA1 | SignSHA256 | PacketNoIV, 1024, 0x820002},
		// g2ipmsg: RSA 1024/2048 with its own AES bits (0x100000 = its AES_128, 0x400000 = its AES_256) and no Blowfish.
		{"g2ipmsg-like", RSA1024 | RSA2048 | RC2_40 | 0x00400000 | SignSHA1, 2048, 0},
		{"g2ipmsg-like, 1024 key", RSA1024 | RSA2048 | RC2_40 | AES256 | 0x00400000, 1024, 0},
		{"key size not offered", RSA1024 | Blowfish128, 2048, 0},
		{"4096 key", Supported, 4096, 0},
		{"no caps", 0, 1024, 0},
		{"RC2/RSA512 only", RSA512 | RC2_40, 512, 0},
	} {
		got, err := Choose(tc.peer, tc.keyBits)
		if tc.want == 0 {
			if !errors.Is(err, ErrNoCommonCipher) || got != 0 {
				t.Errorf("%s: Choose(%#x, %d) = %#x, %v; want ErrNoCommonCipher", tc.name, uint32(tc.peer), tc.keyBits, uint32(got), err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: Choose(%#x, %d) = %#x, %v; want %#x", tc.name, uint32(tc.peer), tc.keyBits, uint32(got), err, uint32(tc.want))
		}
	}
}

func TestKeyBitsFor(t *testing.T) {
	for _, tc := range []struct {
		peer Caps
		want int
	}{
		{0x65920006, 2048},
		{0x21003, 1024},
		{RSA512 | RC2_40, 0},
		{0, 0},
		{RSA2048, 2048},
	} {
		if got := KeyBitsFor(tc.peer); got != tc.want {
			t.Errorf("KeyBitsFor(%#x) = %d, want %d", uint32(tc.peer), got, tc.want)
		}
	}
}

func TestSuiteOf(t *testing.T) {
	for _, tc := range []struct {
		caps   Caps
		rsa    int
		keyLen int
		block  int
	}{
		{0x41900004, 2048, 32, 16},
		{0x20002, 1024, 16, 8},
		{RSA1024 | RC2_40, 1024, 5, 8},
		{RSA512 | RC2_40, 512, 5, 8},
	} {
		s, err := suiteOf(tc.caps)
		if err != nil || s.rsaBits != tc.rsa || s.keyLen != tc.keyLen || s.block != tc.block {
			t.Errorf("suiteOf(%#x) = %+v, %v", uint32(tc.caps), s, err)
		}
	}
	for _, c := range []Caps{0, AES256, RSA2048, RSA2048 | RSA1024 | AES256, RSA2048 | AES256 | Blowfish128, 0x8 | AES256, RSA2048 | 0x80000} {
		if _, err := suiteOf(c); err == nil {
			t.Errorf("suiteOf(%#x) = nil error", uint32(c))
		}
	}
}
