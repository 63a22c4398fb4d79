// Package wire is the IP Messenger packet codec: pure byte handling, no sockets.
//
// Constants follow the Windows reference client (see shared/spec/INTEROP.md §1). The 32-bit command field
// holds the command mode in its low 8 bits and option flags above; the same option bit means different
// things for entry commands, messages and file requests, so String names options per command family.
package wire

import (
	"strconv"
	"strings"
)

// Command is the 32-bit command field: mode in the low 8 bits, options in the high 24.
type Command uint32

// Mode is the command without its options.
func (c Command) Mode() Command { return c & 0xFF }

// Opts is the option part of the command.
func (c Command) Opts() Command { return c &^ 0xFF }

// Has reports whether every bit of opt is set.
func (c Command) Has(opt Command) bool { return c&opt == opt }

// Command modes.
const (
	NoOperation     Command = 0x00
	BrEntry         Command = 0x01
	BrExit          Command = 0x02
	AnsEntry        Command = 0x03
	BrAbsence       Command = 0x04
	BrIsGetList     Command = 0x10
	OkGetList       Command = 0x11
	GetList         Command = 0x12
	AnsList         Command = 0x13
	AnsListDict     Command = 0x14
	BrIsGetList2    Command = 0x18
	SendMsg         Command = 0x20
	RecvMsg         Command = 0x21
	ReadMsg         Command = 0x30
	DelMsg          Command = 0x31
	AnsReadMsg      Command = 0x32
	GetInfo         Command = 0x40
	SendInfo        Command = 0x41
	GetAbsenceInfo  Command = 0x50
	SendAbsenceInfo Command = 0x51
	GetFileData     Command = 0x60
	ReleaseFiles    Command = 0x61
	GetDirFiles     Command = 0x62
	GetPubKey       Command = 0x72
	AnsPubKey       Command = 0x73
)

// Options valid on every command, as used in entry packets (BR_ENTRY, ANSENTRY, BR_ABSENCE, BR_EXIT).
const (
	AbsenceOpt    Command = 0x00000100
	ServerOpt     Command = 0x00000200
	DialupOpt     Command = 0x00010000
	CapFileEncOpt Command = 0x00040000
	FileAttachOpt Command = 0x00200000
	EncryptOpt    Command = 0x00400000
	UTF8Opt       Command = 0x00800000
	CapUTF8Opt    Command = 0x01000000
	CapIPDictOpt  Command = 0x02000000
	EncExtMsgOpt  Command = 0x04000000
	ClipboardOpt  Command = 0x08000000
)

// Options of SENDMSG and the message family (RECVMSG, READMSG, ...).
const (
	SendCheckOpt Command = 0x00000100
	SecretOpt    Command = 0x00000200
	BroadcastOpt Command = 0x00000400
	MulticastOpt Command = 0x00000800
	NoPopupOpt   Command = 0x00001000
	AutoRetOpt   Command = 0x00002000
	RetryOpt     Command = 0x00004000
	PasswordOpt  Command = 0x00008000
	NoLogOpt     Command = 0x00020000
	NewMultiOpt  Command = 0x00040000
	NoAddListOpt Command = 0x00080000
	ReadCheckOpt Command = 0x00100000
	SecretExOpt  Command = ReadCheckOpt | SecretOpt
	// NoReplyOpts marks packets that must never be acknowledged or auto-answered.
	NoReplyOpts Command = BroadcastOpt | AutoRetOpt
)

// Options of the TCP file requests GETFILEDATA and GETDIRFILES.
const (
	EncFileOpt Command = 0x00000800
)

var modeNames = map[Command]string{
	NoOperation: "NOOPERATION", BrEntry: "BR_ENTRY", BrExit: "BR_EXIT", AnsEntry: "ANSENTRY",
	BrAbsence: "BR_ABSENCE", BrIsGetList: "BR_ISGETLIST", OkGetList: "OKGETLIST", GetList: "GETLIST",
	AnsList: "ANSLIST", AnsListDict: "ANSLIST_DICT", BrIsGetList2: "BR_ISGETLIST2", SendMsg: "SENDMSG",
	RecvMsg: "RECVMSG", ReadMsg: "READMSG", DelMsg: "DELMSG", AnsReadMsg: "ANSREADMSG", GetInfo: "GETINFO",
	SendInfo: "SENDINFO", GetAbsenceInfo: "GETABSENCEINFO", SendAbsenceInfo: "SENDABSENCEINFO",
	GetFileData: "GETFILEDATA", ReleaseFiles: "RELEASEFILES", GetDirFiles: "GETDIRFILES",
	GetPubKey: "GETPUBKEY", AnsPubKey: "ANSPUBKEY",
	DirPoll: "DIR_POLL", DirPollAgent: "DIR_POLLAGENT", DirBroadcast: "DIR_BROADCAST", DirAnsBroad: "DIR_ANSBROAD",
	DirPacket: "DIR_PACKET", DirRequest: "DIR_REQUEST", DirAgentPacket: "DIR_AGENTPACKET", DirEvBroad: "DIR_EVBROAD",
	DirAgentReject: "DIR_AGENTREJECT",
}

type optName struct {
	bit  Command
	name string
}

// Bits shared by every family, named last so that family names win.
var commonOpts = []optName{
	{DialupOpt, "DIALUPOPT"}, {FileAttachOpt, "FILEATTACHOPT"}, {EncryptOpt, "ENCRYPTOPT"},
	{UTF8Opt, "UTF8OPT"}, {CapUTF8Opt, "CAPUTF8OPT"}, {CapIPDictOpt, "CAPIPDICTOPT"},
	{EncExtMsgOpt, "ENCEXTMSGOPT"}, {ClipboardOpt, "CLIPBOARDOPT"},
}

// RETRYOPT appears here on the retry of BR_ISGETLIST2 (INTEROP.md §3.2).
var entryOpts = []optName{
	{AbsenceOpt, "ABSENCEOPT"}, {ServerOpt, "SERVEROPT"}, {RetryOpt, "RETRYOPT"}, {CapFileEncOpt, "CAPFILEENCOPT"},
	{DirMasterOpt, "DIR_MASTER"},
}

var messageOpts = []optName{
	{SendCheckOpt, "SENDCHECKOPT"}, {SecretOpt, "SECRETOPT"}, {BroadcastOpt, "BROADCASTOPT"},
	{MulticastOpt, "MULTICASTOPT"}, {NoPopupOpt, "NOPOPUPOPT"}, {AutoRetOpt, "AUTORETOPT"},
	{RetryOpt, "RETRYOPT"}, {PasswordOpt, "PASSWORDOPT"}, {NoLogOpt, "NOLOGOPT"},
	{NewMultiOpt, "NEWMULTIOPT"}, {NoAddListOpt, "NOADDLISTOPT"}, {ReadCheckOpt, "READCHECKOPT"},
}

var fileOpts = []optName{{EncFileOpt, "ENCFILEOPT"}}

// optionNames picks the option namespace of a command mode.
func optionNames(mode Command) []optName {
	switch mode {
	case BrEntry, BrExit, AnsEntry, BrAbsence, BrIsGetList, BrIsGetList2, NoOperation:
		return entryOpts
	case GetFileData, GetDirFiles:
		return fileOpts
	default:
		return messageOpts
	}
}

// String names the mode and each option as the Windows header does, e.g. "SENDMSG|SENDCHECKOPT|UTF8OPT".
// Unknown modes and bits are printed in hex.
func (c Command) String() string {
	var b strings.Builder
	if name, ok := modeNames[c.Mode()]; ok {
		b.WriteString(name)
	} else {
		b.WriteString("0x" + strconv.FormatUint(uint64(c.Mode()), 16))
	}
	rest := c.Opts()
	for _, table := range [][]optName{optionNames(c.Mode()), commonOpts} {
		for _, o := range table {
			if rest&o.bit != 0 && rest.Has(o.bit) {
				b.WriteString("|" + o.name)
				rest &^= o.bit
			}
		}
	}
	if rest != 0 {
		b.WriteString("|0x" + strconv.FormatUint(uint64(rest), 16))
	}
	return b.String()
}
