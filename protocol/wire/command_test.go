package wire

import "testing"

func TestCommandString(t *testing.T) {
	cases := []struct {
		c    Command
		want string
	}{
		{BrEntry | AbsenceOpt, "BR_ENTRY|ABSENCEOPT"},
		{SendMsg | SendCheckOpt | UTF8Opt, "SENDMSG|SENDCHECKOPT|UTF8OPT"},
		{RecvMsg | SendCheckOpt, "RECVMSG|SENDCHECKOPT"}, // iptux's 289
		{SendMsg | SecretExOpt, "SENDMSG|SECRETOPT|READCHECKOPT"},
		{GetDirFiles | FileAttachOpt | EncFileOpt, "GETDIRFILES|ENCFILEOPT|FILEATTACHOPT"},
		{258211841, "BR_ENTRY|CAPFILEENCOPT|FILEATTACHOPT|ENCRYPTOPT|CAPUTF8OPT|CAPIPDICTOPT|ENCEXTMSGOPT|CLIPBOARDOPT"},
		{0x80200020, "SENDMSG|FILEATTACHOPT|0x80000000"},
		{0xFF, "0xff"},
		{BrExit | DialupOpt, "BR_EXIT|DIALUPOPT"},
	}
	for _, c := range cases {
		if got := c.c.String(); got != c.want {
			t.Errorf("%d: %q, want %q", uint32(c.c), got, c.want)
		}
	}
	// The same bit means different things per family.
	if (BrEntry|0x100).String() != "BR_ENTRY|ABSENCEOPT" || (SendMsg|0x100).String() != "SENDMSG|SENDCHECKOPT" {
		t.Error("0x100 not named per command family")
	}
	if m := (SendMsg | UTF8Opt).Mode(); m != SendMsg {
		t.Errorf("Mode = %v", m)
	}
}
