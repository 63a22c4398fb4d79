package wire

import "testing"

func TestCommandString(t *testing.T) {
	cases := []struct {
		c    Command
		want string
	}{
		// Decimal commands seen on the wire (INTEROP.md, IPTUX.md).
		{257, "BR_ENTRY|ABSENCEOPT"}, // iptux
		{259, "ANSENTRY|ABSENCEOPT"},
		{288, "SENDMSG|SENDCHECKOPT"},
		{289, "RECVMSG|SENDCHECKOPT"},
		{65538, "BR_EXIT|DIALUPOPT"},
		{2097184, "SENDMSG|FILEATTACHOPT"},
		{2097250, "GETDIRFILES|FILEATTACHOPT"},
		{2149580832, "SENDMSG|FILEATTACHOPT|0x80000000"}, // iptux SHAREDOPT
		{8388896, "SENDMSG|SENDCHECKOPT|UTF8OPT"},
		{18874369, "BR_ENTRY|FILEATTACHOPT|CAPUTF8OPT"},
		{153092097, "BR_ENTRY|FILEATTACHOPT|CAPUTF8OPT|CLIPBOARDOPT"},
		{224657409, "BR_ENTRY|CAPFILEENCOPT|FILEATTACHOPT|ENCRYPTOPT|CAPUTF8OPT|ENCEXTMSGOPT|CLIPBOARDOPT"},
		{258211841, "BR_ENTRY|CAPFILEENCOPT|FILEATTACHOPT|ENCRYPTOPT|CAPUTF8OPT|CAPIPDICTOPT|ENCEXTMSGOPT|CLIPBOARDOPT"},
		{16408, "BR_ISGETLIST2|RETRYOPT"},
		{8388627, "ANSLIST|UTF8OPT"},
		{1048624, "READMSG|READCHECKOPT"},
		{8388704, "GETFILEDATA|UTF8OPT"},
		{79692064, "SENDMSG|SENDCHECKOPT|ENCRYPTOPT|UTF8OPT|ENCEXTMSGOPT"},
		// Option namespaces and unknown values.
		{SendMsg | SecretExOpt, "SENDMSG|SECRETOPT|READCHECKOPT"},
		{SendMsg | BroadcastOpt | AutoRetOpt | NoLogOpt, "SENDMSG|BROADCASTOPT|AUTORETOPT|NOLOGOPT"},
		{GetDirFiles | FileAttachOpt | EncFileOpt, "GETDIRFILES|ENCFILEOPT|FILEATTACHOPT"},
		{BrEntry | 0x100, "BR_ENTRY|ABSENCEOPT"},
		{SendMsg | 0x100, "SENDMSG|SENDCHECKOPT"},
		{BrEntry | 0x200, "BR_ENTRY|SERVEROPT"},
		{SendMsg | 0x200, "SENDMSG|SECRETOPT"},
		{GetFileData | 0x800, "GETFILEDATA|ENCFILEOPT"},
		{SendMsg | 0x800, "SENDMSG|MULTICASTOPT"},
		{BrEntry | 0x40000, "BR_ENTRY|CAPFILEENCOPT"},
		{SendMsg | 0x40000, "SENDMSG|NEWMULTIOPT"},
		{0xB0, "DIR_POLL"},
		{0xB8, "DIR_AGENTREJECT"},
		{BrEntry | 0x10000000, "BR_ENTRY|DIR_MASTER"},
		{0x79, "0x79"}, // FeiQ typing
		{0xFC, "0xfc"}, // iptux signature
		{0xFF, "0xff"},
		{NoOperation, "NOOPERATION"},
		{BrAbsence | AbsenceOpt | 0x1000, "BR_ABSENCE|ABSENCEOPT|0x1000"},
	}
	for _, c := range cases {
		if got := c.c.String(); got != c.want {
			t.Errorf("%d: %q, want %q", uint32(c.c), got, c.want)
		}
	}
}

func TestCommandParts(t *testing.T) {
	c := Command(258211841)
	if c.Mode() != BrEntry || c.Opts() != 0x0F640000 {
		t.Errorf("Mode %v Opts %#x", c.Mode(), uint32(c.Opts()))
	}
	if !c.Has(CapUTF8Opt|FileAttachOpt) || c.Has(CapUTF8Opt|AbsenceOpt) {
		t.Error("Has")
	}
	if Command(289).Mode() != RecvMsg || !Command(289).Has(SendCheckOpt) {
		t.Error("iptux RECVMSG")
	}
	// Values from INTEROP.md §1.
	for c, want := range map[Command]uint32{
		BrIsGetList2: 0x18, AnsListDict: 0x14, GetPubKey: 0x72, DialupOpt: 0x10000, CapFileEncOpt: 0x40000,
		CapIPDictOpt: 0x02000000, PasswordOpt: 0x8000, NoLogOpt: 0x20000, SecretExOpt: 0x00100200,
		NoReplyOpts: 0x2400, EncFileOpt: 0x800,
	} {
		if uint32(c) != want {
			t.Errorf("%v = %#x, want %#x", c, uint32(c), want)
		}
	}
}
