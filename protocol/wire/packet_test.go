package wire

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// Shared pieces of the vectors.
const (
	winLines  = "\nUN:taro\nHN:PC01\nNN:Taro\nGN:Dev\nVS:00010002:4:99:3"
	feiqVer   = "1_lbt6_0#128#000C29D4F5A8#0#0#0#4001#9"
	feiqFont  = "{/font;-16 0 0 0 400 0 0 0 134 0 0 2 32 微软雅黑 8404992;}"
	iptuxExt  = "\x00icon-tux.png\x00utf-8"
	pubKeyHex = "10001-c3a1" // + 508 more hex digits, see ansPubKey
)

var ansPubKey = "65920006:" + pubKeyHex + strings.Repeat("0f", 254)

// packetVectors are packets as real clients send them: shared/spec/INTEROP.md §3.1, §3.2, §3.9, §5 and
// shared/notes/IPTUX.md ("Byte-exact packets"). out is what Append writes for the parsed packet when
// that differs from raw (Windows leaves the NUL after the extension out; Hato always writes one).
var packetVectors = []struct {
	name string
	raw  string
	want Packet
	out  string
}{
	// Windows entry packets (INTEROP.md §3.1, §5.2).
	{name: "WIN BR_ENTRY, all capabilities", raw: "1:1700000001:taro:PC01:258211841:Taro\x00Dev\x00" + winLines,
		want: Packet{Version: "1", No: 1700000001, User: "taro", Host: "PC01", Cmd: 258211841, Msg: []byte("Taro"),
			Extra: []byte("Dev\x00" + winLines)},
		out: "1:1700000001:taro:PC01:258211841:Taro\x00Dev\x00" + winLines + "\x00"},
	{name: "WIN BR_ENTRY without CAPIPDICTOPT", raw: "1:1700000001:taro:PC01:224657409:Taro\x00Dev\x00" + winLines,
		want: Packet{Version: "1", No: 1700000001, User: "taro", Host: "PC01", Cmd: 0x0D640001, Msg: []byte("Taro"),
			Extra: []byte("Dev\x00" + winLines)},
		out: "1:1700000001:taro:PC01:224657409:Taro\x00Dev\x00" + winLines + "\x00"},
	{name: "WIN-style BR_ENTRY sent to iptux", raw: "1:1700000001:taro:PC01:153092097:Taro\x00Dev\x00" + winLines + "\x00",
		want: Packet{Version: "1", No: 1700000001, User: "taro", Host: "PC01", Cmd: BrEntry | FileAttachOpt | CapUTF8Opt | ClipboardOpt,
			Msg: []byte("Taro"), Extra: []byte("Dev\x00" + winLines)}},
	{name: "WIN ANSENTRY with UTF8OPT and only VS", raw: "1:1700000005:taro:PC01:27262979:Taro\x00Dev\x00\nVS:00010002:4:99:3",
		want: Packet{Version: "1", No: 1700000005, User: "taro", Host: "PC01", Cmd: AnsEntry | FileAttachOpt | UTF8Opt | CapUTF8Opt,
			Msg: []byte("Taro"), Extra: []byte("Dev\x00\nVS:00010002:4:99:3")},
		out: "1:1700000005:taro:PC01:27262979:Taro\x00Dev\x00\nVS:00010002:4:99:3\x00"},
	{name: "WIN member master BR_ENTRY with IP line", raw: "1:1700000001:taro:PC01:493092865:Taro\x00Dev\x00" + winLines + "\nIP:SVAyOjE=\x00",
		want: Packet{Version: "1", No: 1700000001, User: "taro", Host: "PC01", Cmd: 0x1D640001, Msg: []byte("Taro"),
			Extra: []byte("Dev\x00" + winLines + "\nIP:SVAyOjE=")}},
	{name: "probe BR_ENTRY (Windows layout)",
		raw: "1:1795326206:probeuser:probehost:18874369:ProbeNick\x00ProbeGroup\x00\nUN:probeuser\nHN:probehost\nNN:ProbeNick\nGN:ProbeGroup",
		want: Packet{Version: "1", No: 1795326206, User: "probeuser", Host: "probehost", Cmd: BrEntry | FileAttachOpt | CapUTF8Opt,
			Msg: []byte("ProbeNick"), Extra: []byte("ProbeGroup\x00\nUN:probeuser\nHN:probehost\nNN:ProbeNick\nGN:ProbeGroup")},
		out: "1:1795326206:probeuser:probehost:18874369:ProbeNick\x00ProbeGroup\x00\nUN:probeuser\nHN:probehost\nNN:ProbeNick\nGN:ProbeGroup\x00"},

	// iptux entry packets (IPTUX.md, INTEROP.md §5.1, §5.2).
	{name: "iptux BR_ENTRY", raw: "1_iptux 0.8.3:1:root:iptuxhost:257:IptuxPeer\x00InteropLab" + iptuxExt + "\x00",
		want: Packet{Version: "1_iptux 0.8.3", No: 1, User: "root", Host: "iptuxhost", Cmd: BrEntry | AbsenceOpt,
			Msg: []byte("IptuxPeer"), Extra: []byte("InteropLab" + iptuxExt)}},
	{name: "iptux ANSENTRY", raw: "1_iptux 0.8.3:5:root:iptuxhost:259:IptuxPeer\x00InteropLab" + iptuxExt + "\x00",
		want: Packet{Version: "1_iptux 0.8.3", No: 5, User: "root", Host: "iptuxhost", Cmd: AnsEntry | AbsenceOpt,
			Msg: []byte("IptuxPeer"), Extra: []byte("InteropLab" + iptuxExt)}},
	{name: "iptux ANSENTRY, default nick, empty group", raw: "1_iptux 0.8.3:3:root:vm:259:root\x00" + iptuxExt + "\x00",
		want: Packet{Version: "1_iptux 0.8.3", No: 3, User: "root", Host: "vm", Cmd: AnsEntry | AbsenceOpt,
			Msg: []byte("root"), Extra: []byte(iptuxExt)}},
	{name: "iptux-style BR_ENTRY", raw: "1_iptux 0.9.9:1700000001:taro:PC01:1:Taro\x00Dev" + iptuxExt + "\x00",
		want: Packet{Version: "1_iptux 0.9.9", No: 1700000001, User: "taro", Host: "PC01", Cmd: BrEntry,
			Msg: []byte("Taro"), Extra: []byte("Dev" + iptuxExt)}},
	{name: "iptux ANSENTRY with configured nick", raw: "1_iptux 0.8.3:3:root:vm:259:Jiro\x00QA" + iptuxExt + "\x00",
		want: Packet{Version: "1_iptux 0.8.3", No: 3, User: "root", Host: "vm", Cmd: AnsEntry | AbsenceOpt,
			Msg: []byte("Jiro"), Extra: []byte("QA" + iptuxExt)}},
	{name: "iptux test vector, invalid UTF-8 nick", raw: "1_iptux 0.8.0-b1:6:lidaobing:LIs-MacBook-Pro.local:259:中\xe4\xb8\x00" + iptuxExt + "\x00",
		want: Packet{Version: "1_iptux 0.8.0-b1", No: 6, User: "lidaobing", Host: "LIs-MacBook-Pro.local", Cmd: AnsEntry | AbsenceOpt,
			Msg: []byte("中\xe4\xb8"), Extra: []byte(iptuxExt)}},
	{name: "iptux test vector, invalid UTF-8 user", raw: "1_iptux 0.8.0-b1:6:lidaobing\xe4\xb8:LIs-MacBook-Pro.local:259:中\xe4\xb8\x00" + iptuxExt + "\x00",
		want: Packet{Version: "1_iptux 0.8.0-b1", No: 6, User: "lidaobing\xe4\xb8", Host: "LIs-MacBook-Pro.local", Cmd: AnsEntry | AbsenceOpt,
			Msg: []byte("中\xe4\xb8"), Extra: []byte(iptuxExt)}},
	{name: "iptux BR_EXIT", raw: "1_iptux 0.8.3:41:root:iptuxhost:65538:\x00",
		want: Packet{Version: "1_iptux 0.8.3", No: 41, User: "root", Host: "iptuxhost", Cmd: BrExit | DialupOpt, Msg: []byte{}}},
	{name: "iptux signature 0xFC", raw: "1_iptux 0.8.3:4:root:vm:252:hello sign\x00",
		want: Packet{Version: "1_iptux 0.8.3", No: 4, User: "root", Host: "vm", Cmd: 0xFC, Msg: []byte("hello sign")}},

	// Messages and acknowledgements.
	{name: "SENDMSG with UTF8OPT", raw: "1:1700000002:taro:PC01:8388896:hello 世界\x00",
		want: Packet{Version: "1", No: 1700000002, User: "taro", Host: "PC01", Cmd: SendMsg | SendCheckOpt | UTF8Opt, Msg: []byte("hello 世界")}},
	{name: "SENDMSG in CP932", raw: "1:1700000003:taro:PC01:288:\x93\xfa\x96\x7b\x8c\xea\x00",
		want: Packet{Version: "1", No: 1700000003, User: "taro", Host: "PC01", Cmd: SendMsg | SendCheckOpt, Msg: []byte("\x93\xfa\x96\x7b\x8c\xea")}},
	{name: "SENDMSG, body with colons", raw: "1:1700000002:taro:PC01:8388896:a:b::c: http://x:80/\x00",
		want: Packet{Version: "1", No: 1700000002, User: "taro", Host: "PC01", Cmd: SendMsg | SendCheckOpt | UTF8Opt, Msg: []byte("a:b::c: http://x:80/")}},
	{name: "iptux RECVMSG", raw: "1_iptux 0.8.3:11:root:iptuxhost:289:1795326211\x00",
		want: Packet{Version: "1_iptux 0.8.3", No: 11, User: "root", Host: "iptuxhost", Cmd: RecvMsg | SendCheckOpt, Msg: []byte("1795326211")}},
	{name: "iptux RECVMSG for a Windows packet number", raw: "1_iptux 0.8.3:4:root:vm:289:1700000002\x00",
		want: Packet{Version: "1_iptux 0.8.3", No: 4, User: "root", Host: "vm", Cmd: RecvMsg | SendCheckOpt, Msg: []byte("1700000002")}},
	{name: "iptux SENDMSG in UTF-8", raw: "1_iptux 0.8.3:34:root:iptuxhost:288:iptux\xe2\x86\x92probe \xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88 \xe4\xb8\xad\xe6\x96\x87 1795326239\x00",
		want: Packet{Version: "1_iptux 0.8.3", No: 34, User: "root", Host: "iptuxhost", Cmd: SendMsg | SendCheckOpt, Msg: []byte("iptux→probe テスト 中文 1795326239")}},
	{name: "iptux SENDMSG in GB18030", raw: "1_iptux 0.8.3:18:root:iptuxhost:288:iptux reply after CP932 \xd6\xd0\xce\xc4 \xc8\xd5\xb1\xbe\xd5Z\x00",
		want: Packet{Version: "1_iptux 0.8.3", No: 18, User: "root", Host: "iptuxhost", Cmd: SendMsg | SendCheckOpt,
			Msg: []byte("iptux reply after CP932 \xd6\xd0\xce\xc4 \xc8\xd5\xb1\xbe\xd5Z")}},
	{name: "WIN RECVMSG", raw: "1:1700000010:taro:PC01:33:1700000002\x00",
		want: Packet{Version: "1", No: 1700000010, User: "taro", Host: "PC01", Cmd: RecvMsg, Msg: []byte("1700000002")}},
	{name: "WIN READMSG with READCHECKOPT", raw: "1:1700000011:taro:PC01:1048624:1700000002\x00",
		want: Packet{Version: "1", No: 1700000011, User: "taro", Host: "PC01", Cmd: ReadMsg | ReadCheckOpt, Msg: []byte("1700000002")}},
	{name: "WIN ANSREADMSG", raw: "1:1700000012:taro:PC01:50:1700000011\x00",
		want: Packet{Version: "1", No: 1700000012, User: "taro", Host: "PC01", Cmd: AnsReadMsg, Msg: []byte("1700000011")}},
	{name: "WIN RELEASEFILES", raw: "1:1700000013:taro:PC01:97:1700000006\x00",
		want: Packet{Version: "1", No: 1700000013, User: "taro", Host: "PC01", Cmd: ReleaseFiles, Msg: []byte("1700000006")}},
	{name: "WIN last retry with 64 NULs", raw: "1:7:taro:PC01:288:hi\x00" + strings.Repeat("\x00", 64),
		want: Packet{Version: "1", No: 7, User: "taro", Host: "PC01", Cmd: SendMsg | SendCheckOpt, Msg: []byte("hi")},
		out:  "1:7:taro:PC01:288:hi\x00"},
	{name: "no trailing NUL (draft example, old scripts)", raw: "1:100:shirouzu:jupiter:32:Hello",
		want: Packet{Version: "1", No: 100, User: "shirouzu", Host: "jupiter", Cmd: SendMsg, Msg: []byte("Hello")},
		out:  "1:100:shirouzu:jupiter:32:Hello\x00"},
	{name: "no ':' after the command", raw: "1:5:script:box:2",
		want: Packet{Version: "1", No: 5, User: "script", Host: "box", Cmd: BrExit, Msg: []byte{}},
		out:  "1:5:script:box:2:\x00"},
	{name: "message, extension and recipient list", raw: "1:9:taro:PC01:32:body\x00ext\x00TO:jiro:PC02\a\x00",
		want: Packet{Version: "1", No: 9, User: "taro", Host: "PC01", Cmd: SendMsg, Msg: []byte("body"), Extra: []byte("ext\x00TO:jiro:PC02\a")}},
	{name: "max packet number", raw: "1:4294967295:a:b:0:\x00",
		want: Packet{Version: "1", No: 4294967295, User: "a", Host: "b", Cmd: NoOperation, Msg: []byte{}}},

	// Information, absence and encryption (INTEROP.md §3.6, §5.2, §5.3).
	{name: "GETINFO", raw: "1:1700000004:taro:PC01:64:\x00",
		want: Packet{Version: "1", No: 1700000004, User: "taro", Host: "PC01", Cmd: GetInfo, Msg: []byte{}}},
	{name: "GETABSENCEINFO", raw: "1:1700000004:taro:PC01:80:\x00",
		want: Packet{Version: "1", No: 1700000004, User: "taro", Host: "PC01", Cmd: GetAbsenceInfo, Msg: []byte{}}},
	{name: "GETPUBKEY", raw: "1:1700000004:taro:PC01:114:21900004\x00",
		want: Packet{Version: "1", No: 1700000004, User: "taro", Host: "PC01", Cmd: GetPubKey, Msg: []byte("21900004")}},
	{name: "ANSPUBKEY", raw: "1:1700000005:taro:PC01:115:" + ansPubKey + "\x00",
		want: Packet{Version: "1", No: 1700000005, User: "taro", Host: "PC01", Cmd: AnsPubKey, Msg: []byte(ansPubKey)}},
	{name: "encrypted SENDMSG", raw: "1:1700000006:taro:PC01:79692064:41900004:S2V5Cg==:Qm9keQ==:U2ln\x00",
		want: Packet{Version: "1", No: 1700000006, User: "taro", Host: "PC01", Cmd: SendMsg | SendCheckOpt | EncryptOpt | UTF8Opt | EncExtMsgOpt,
			Msg: []byte("41900004:S2V5Cg==:Qm9keQ==:U2ln")}},

	// Attachments and file requests (INTEROP.md §3.3, §3.4, §5.3; IPTUX.md).
	{name: "WIN SENDMSG with attachments and a clipboard image",
		raw: "1:1700000007:taro:PC01:27263264:資料です\x001073741825:report.pdf:1a2b:65937d25:1:\a1073741826:ipmsgclip_s_1700000007_0.png:4d2:65937d25:20:8=5:\a",
		want: Packet{Version: "1", No: 1700000007, User: "taro", Host: "PC01", Cmd: SendMsg | SendCheckOpt | FileAttachOpt | UTF8Opt | CapUTF8Opt,
			Msg: []byte("資料です"), Extra: []byte("1073741825:report.pdf:1a2b:65937d25:1:\a1073741826:ipmsgclip_s_1700000007_0.png:4d2:65937d25:20:8=5:\a")},
		out: "1:1700000007:taro:PC01:27263264:資料です\x001073741825:report.pdf:1a2b:65937d25:1:\a1073741826:ipmsgclip_s_1700000007_0.png:4d2:65937d25:20:8=5:\a\x00"},
	{name: "file offer to iptux", raw: "1:1700000006:taro:PC01:2097440:see file\x000:a.txt:5:65a0b0c0:1:\a\x00",
		want: Packet{Version: "1", No: 1700000006, User: "taro", Host: "PC01", Cmd: SendMsg | SendCheckOpt | FileAttachOpt,
			Msg: []byte("see file"), Extra: []byte("0:a.txt:5:65a0b0c0:1:\a")}},
	{name: "iptux file offer", raw: "1_iptux 0.8.3:35:root:iptuxhost:2097184:\x0010000:iptux-to-probe.txt:29d:6b0280fc:1:\a\x00",
		want: Packet{Version: "1_iptux 0.8.3", No: 35, User: "root", Host: "iptuxhost", Cmd: SendMsg | FileAttachOpt,
			Msg: []byte{}, Extra: []byte("10000:iptux-to-probe.txt:29d:6b0280fc:1:\a")}},
	{name: "iptux folder offer", raw: "1_iptux 0.8.3:36:root:iptuxhost:2097184:\x0010001:iptux-folder:12:6b0280fc:2:\a\x00",
		want: Packet{Version: "1_iptux 0.8.3", No: 36, User: "root", Host: "iptuxhost", Cmd: SendMsg | FileAttachOpt,
			Msg: []byte{}, Extra: []byte("10001:iptux-folder:12:6b0280fc:2:\a")}},
	{name: "iptux ask-shared reply", raw: "1_iptux 0.8.3:5:root:vm:2149580832:\x001:a.txt:5:0:1:\a2:proj:1a:0:2:\a\x00",
		want: Packet{Version: "1_iptux 0.8.3", No: 5, User: "root", Host: "vm", Cmd: 0x80200020, Msg: []byte{},
			Extra: []byte("1:a.txt:5:0:1:\a2:proj:1a:0:2:\a")}},
	{name: "GETFILEDATA to iptux (TCP)", raw: "1_iptux 0.9.9:1700000100:taro:PC01:96:5:1:0:\x00",
		want: Packet{Version: "1_iptux 0.9.9", No: 1700000100, User: "taro", Host: "PC01", Cmd: GetFileData, Msg: []byte("5:1:0:")}},
	{name: "GETDIRFILES to iptux (TCP)", raw: "1_iptux 0.9.9:1700000101:taro:PC01:98:5:2:0:\x00",
		want: Packet{Version: "1_iptux 0.9.9", No: 1700000101, User: "taro", Host: "PC01", Cmd: GetDirFiles, Msg: []byte("5:2:0:")}},
	{name: "iptux GETFILEDATA (TCP)", raw: "1_iptux 0.8.3:31:root:iptuxhost:96:6b028113:0:0\x00",
		want: Packet{Version: "1_iptux 0.8.3", No: 31, User: "root", Host: "iptuxhost", Cmd: GetFileData, Msg: []byte("6b028113:0:0")}},
	{name: "iptux GETDIRFILES (TCP)", raw: "1_iptux 0.8.3:33:root:iptuxhost:2097250:6b028114:0:0\x00",
		want: Packet{Version: "1_iptux 0.8.3", No: 33, User: "root", Host: "iptuxhost", Cmd: GetDirFiles | FileAttachOpt, Msg: []byte("6b028114:0:0")}},
	{name: "WIN GETFILEDATA with UTF8OPT (TCP)", raw: "1:1700000020:taro:PC01:8388704:6553f100:3:0:\x00",
		want: Packet{Version: "1", No: 1700000020, User: "taro", Host: "PC01", Cmd: GetFileData | UTF8Opt, Msg: []byte("6553f100:3:0:")}},
	{name: "WIN GETDIRFILES (TCP)", raw: "1:1700000021:taro:PC01:98:6553f100:4:\x00",
		want: Packet{Version: "1", No: 1700000021, User: "taro", Host: "PC01", Cmd: GetDirFiles, Msg: []byte("6553f100:4:")}},

	// Host-list exchange (INTEROP.md §3.2, §5.3).
	{name: "BR_ISGETLIST2", raw: "1:1700000030:taro:PC01:24:\x00",
		want: Packet{Version: "1", No: 1700000030, User: "taro", Host: "PC01", Cmd: BrIsGetList2, Msg: []byte{}}},
	{name: "BR_ISGETLIST2 retry", raw: "1:1700000030:taro:PC01:16408:\x00",
		want: Packet{Version: "1", No: 1700000030, User: "taro", Host: "PC01", Cmd: BrIsGetList2 | RetryOpt, Msg: []byte{}}},
	{name: "BR_ISGETLIST", raw: "1:1700000030:taro:PC01:16:\x00",
		want: Packet{Version: "1", No: 1700000030, User: "taro", Host: "PC01", Cmd: BrIsGetList, Msg: []byte{}}},
	{name: "OKGETLIST", raw: "1:1700000031:jiro:PC02:17:\x00",
		want: Packet{Version: "1", No: 1700000031, User: "jiro", Host: "PC02", Cmd: OkGetList, Msg: []byte{}}},
	{name: "GETLIST from index 100", raw: "1:1700000032:taro:PC01:16777234:100\x00",
		want: Packet{Version: "1", No: 1700000032, User: "taro", Host: "PC01", Cmd: GetList | CapUTF8Opt, Msg: []byte("100")}},
	{name: "ANSLIST with UTF8OPT", raw: "1:1700000033:jiro:PC02:8388627:" + ansListExample + "\x00",
		want: Packet{Version: "1", No: 1700000033, User: "jiro", Host: "PC02", Cmd: AnsList | UTF8Opt, Msg: []byte(ansListExample)}},

	// FeiQ and other clients (INTEROP.md §3.7, §3.9).
	{name: "FeiQ SENDMSG with font tag", raw: feiqVer + ":1700000003:feiq:WIN-PC:288:你好" + feiqFont + "\x00",
		want: Packet{Version: feiqVer, No: 1700000003, User: "feiq", Host: "WIN-PC", Cmd: SendMsg | SendCheckOpt, Msg: []byte("你好" + feiqFont)}},
	{name: "FeiQ image reference ending in two NULs", raw: feiqVer + ":1700000004:feiq:WIN-PC:288:/~#>1A2B3C4D<B~" + feiqFont + "\x00\x00",
		want: Packet{Version: feiqVer, No: 1700000004, User: "feiq", Host: "WIN-PC", Cmd: SendMsg | SendCheckOpt, Msg: []byte("/~#>1A2B3C4D<B~" + feiqFont)},
		out:  feiqVer + ":1700000004:feiq:WIN-PC:288:/~#>1A2B3C4D<B~" + feiqFont + "\x00"},
	{name: "FeiQ typing notice 0x79", raw: "1_lbt4_0#128#000C29D4F5A8#0#0#0:1700000005:feiq:WIN-PC:121:\x00",
		want: Packet{Version: "1_lbt4_0#128#000C29D4F5A8#0#0#0", No: 1700000005, User: "feiq", Host: "WIN-PC", Cmd: 0x79, Msg: []byte{}}},
	{name: "内网通 with GBK names", raw: "1@shiyeline:12:\xd5\xc5\xc8\xfd:PC-01:1:\xd5\xc5\xc8\xfd\x00\xbf\xaa\xb7\xa2\x00",
		want: Packet{Version: "1@shiyeline", No: 12, User: "\xd5\xc5\xc8\xfd", Host: "PC-01", Cmd: BrEntry, Msg: []byte("\xd5\xc5\xc8\xfd"), Extra: []byte("\xbf\xaa\xb7\xa2")}},
}

// ansListExample is INTEROP.md §5.3's ANSLIST (derived there from Windows' source, not captured) with
// the port as MakeHostListStr really prints it: htons(2425) = 30985 (see listPort).
const ansListExample = "    0\a    1\ataro\aPC01\a16777473\a192.168.0.5\a30985\aTaro\aDev\a"

func TestParseVectors(t *testing.T) {
	for _, v := range packetVectors {
		t.Run(v.name, func(t *testing.T) {
			got, err := Parse([]byte(v.raw))
			if err != nil {
				t.Fatal(err)
			}
			if !equalPacket(got, v.want) {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", v.raw, got, v.want)
			}
		})
	}
}

func TestAppendVectors(t *testing.T) {
	for _, v := range packetVectors {
		want := v.out
		if want == "" {
			want = v.raw
		}
		if got := string(v.want.Bytes()); got != want {
			t.Errorf("%s: Append\n got %q\nwant %q", v.name, got, want)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, v := range packetVectors {
		got, err := Parse(v.want.Bytes())
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		if !equalPacket(got, v.want) {
			t.Errorf("%s: round trip\n got %+v\nwant %+v", v.name, got, v.want)
		}
	}
}

func TestParseVersion(t *testing.T) {
	for _, raw := range []string{
		"iptux 0.8.0:1:lidaobing:lidaobing.lan:257:lidaobing", // iptux's own test: no "1" prefix
		"10:1:a:b:32:x",
		"2:1:a:b:32:x",
		"2\x1f\x8b\x08binary", // IpMsg.Net's binary packets start with byte 2
		"",
		"\x00\x00\x00",
		"_1:1:a:b:32:x",
		"x",
	} {
		_, err := Parse([]byte(raw))
		if !errors.Is(err, ErrVersion) || !strings.Contains(err.Error(), "version") {
			t.Errorf("Parse(%q) error = %v, want ErrVersion", raw, err)
		}
	}
	for _, v := range []string{"1", "1_iptux 0.8.3", "1_lbt6_0#128#000C29D4F5A8#0#0#0#4001#9", "1@shiyeline", "1 "} {
		if p, err := Parse([]byte(v + ":1:a:b:32:x\x00")); err != nil || p.Version != v {
			t.Errorf("version %q: %+v %v", v, p, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ raw, want string }{
		{"1", "missing packet number field"},
		{"1:2", "missing user field"},
		{"1:2:user", "missing host field"},
		{"1:2:user:host", "missing command field"},
		{"1:2:user:host:", "empty command field"},
		{"1:2:user:host:\x00body", "empty command field"},
		{"1:abc:u:h:32:x", "packet number \"abc\""},
		{"1::u:h:32:x", "packet number"},
		{"1:4294967296:u:h:32:x", "packet number"},
		{"1:-1:u:h:32:x", "packet number"},
		{"1:1::h:32:x", "empty user field"},
		{"1:1:u::32:x", "empty host field"},
		{"1:1:u\x00x:h:32:x", "user field"},
		{"1:1:u:h\x00:32:x", "host field"},
		{"1:1:u:h:0x120:x", "command \"0x120\""}, // iptux reads hex as 0; we refuse it
		{"1:1:u:h:-1:x", "command"},
		{"1:1:u:h: 32:x", "command"},
		{"1:1:u:h:4294967296:x", "command"},
		{"1:" + strings.Repeat("9", 100) + ":u:h:32:x", "packet number \"99999999999999999999999999999999...\""},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.raw))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) error = %v, want one containing %q", c.raw, err, c.want)
		}
		if errors.Is(err, ErrVersion) {
			t.Errorf("Parse(%q): %v is not a version error", c.raw, err)
		}
	}
}

func TestParseAliasesInput(t *testing.T) {
	raw := []byte("1:1:taro:PC01:32:body\x00ext\x00")
	p, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	copy(raw, "2:2:xxxx:xxxx:99:BODY\x00EXT")
	if p.Version != "1" || p.User != "taro" || p.Host != "PC01" || string(p.Msg) != "BODY" || string(p.Extra) != "EXT" {
		t.Errorf("header must be copied, Msg and Extra must alias: %+v", p)
	}
}

// Hato's own BR_ENTRY in the Windows layout, byte for byte (INTEROP.md §5.2 first row, without VS:).
func TestAppendOurEntry(t *testing.T) {
	cases := []struct {
		p    Packet
		want string
	}{
		{entryPacket(1700000001, "taro", "PC01", BrEntry|FileAttachOpt|CapUTF8Opt, "Taro", "Dev"),
			"1:1700000001:taro:PC01:18874369:Taro\x00Dev\x00\nUN:taro\nHN:PC01\nNN:Taro\nGN:Dev\x00"},
		{entryPacket(1795326206, "probeuser", "probehost", BrEntry|FileAttachOpt|CapUTF8Opt, "ProbeNick", "ProbeGroup"),
			"1:1795326206:probeuser:probehost:18874369:ProbeNick\x00ProbeGroup\x00\nUN:probeuser\nHN:probehost\nNN:ProbeNick\nGN:ProbeGroup\x00"},
		{entryPacket(3, "taro", "PC01", AnsEntry|AbsenceOpt|UTF8Opt|CapUTF8Opt, "", ""),
			"1:3:taro:PC01:25166083:\x00\x00\nUN:taro\nHN:PC01\nNN:\nGN:\x00"},
		{Packet{No: 1700000003, User: "taro", Host: "PC01", Cmd: RecvMsg, Msg: []byte("1700000002")},
			"1:1700000003:taro:PC01:33:1700000002\x00"},
		{Packet{No: 9, User: "u", Host: "h", Cmd: BrExit}, "1:9:u:h:2:\x00"},
	}
	for _, c := range cases {
		if got := string(c.p.Bytes()); got != c.want {
			t.Errorf("Append\n got %q\nwant %q", got, c.want)
		}
		if got := string(c.p.Append([]byte("prefix"))); got != "prefix"+c.want {
			t.Errorf("Append to a prefix: %q", got)
		}
	}
}

func entryPacket(no uint32, user, host string, cmd Command, nick, group string) Packet {
	msg, extra := AppendEntry([]byte(nick), []byte(group), EntryText{User: user, Host: host, Nick: nick, Group: group})
	return Packet{No: no, User: user, Host: host, Cmd: cmd, Msg: msg, Extra: extra}
}

func equalPacket(a, b Packet) bool {
	return a.Version == b.Version && a.No == b.No && a.User == b.User && a.Host == b.Host && a.Cmd == b.Cmd &&
		bytes.Equal(a.Msg, b.Msg) && bytes.Equal(a.Extra, b.Extra)
}
