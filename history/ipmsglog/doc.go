// Package ipmsglog reads and writes the classic IP Messenger text log (ipmsg.log), the file IP Messenger
// for Windows appends every sent and received message to, so Hato can export its history in that format
// and import an existing log. It handles bytes only: no files, no network.
//
// # The format
//
// What follows was worked out from the source of IP Messenger for Windows (called WIN below): the
// writer in logmng.cpp (versions 2.00, 3.00 and 4.50), the host string in miscfunc.cpp MakeListString,
// the date in miscfunc.cpp Ctime, the label strings in the IPMsg.rc string table (3.21), the defaults in
// cfg.cpp, and the text-log importer WIN 4.x uses to fill its log database, logdbconv.cpp. IP Messenger
// for Mac (LogManager.m) writes the same frame with a localized date.
//
// A received message, as WIN 4.x/5.x writes it with its default settings:
//
//	=====================================
//	 From: Taro (Sales/TARO-PC/192.168.0.10/taro)
//	  at Mon May 06 09:08:07 2024 (RSA2/Signed+)(sealed)
//	  (files) report.pdf, ipmsgclip_0001.png
//	-------------------------------------
//	first line of the message
//	second line
//
// and a message sent to two people:
//
//	=====================================
//	 To: Hanako (Sales/HANAKO-PC/192.168.0.11/hanako)
//	 To: Jiro *(JIRO-PC/192.168.0.12/jiro)
//	  at Mon May 06 09:10:00 2024 (multi)
//	-------------------------------------
//	Lunch?
//
// Line by line:
//
//   - Every line ends in CR LF (WIN logmng.cpp writes "\r\n" itself; the message body already has CR LF
//     line ends as Windows edit controls give them). Mac may write LF or even CR only (LogManager.m).
//   - The entry starts with exactly 37 '=' (WIN logmng.cpp LOGMSG_HEAD_TOP).
//   - One peer line: " From: " for a received message, " To: " for a sent one (WIN logmng.cpp
//     LOGMSG_FROM, LOGMSG_TO). A message sent to several people has one " To: " line per recipient
//     (WIN logmng.cpp WriteSendHead, called per host). In 4.x (not 3.00) a received message sent to
//     several people lists the other recipients on "   Cc: " lines, same width as " From: " (WIN
//     logmng.cpp LOGMSG_CC, WriteRecvMsg); the importer also takes "   To: " there (WIN logdbconv.cpp
//     ParseSender).
//   - The peer itself is "nick (group/host/addr/user)" (WIN miscfunc.cpp MakeListString): the nickname,
//     or the logon name when the peer has none; a space; a '*' when the peer was in absence mode; then in
//     parentheses the group and a '/' only when there is a group, the host name, "/" and the IP address
//     only when the "IP address" log option is on, "/" and the logon name only when the "Logon name" log
//     option is on. Both options are on by default (WIN cfg.cpp: IPAddrCheck, LogonLog = TRUE), so
//     with one or both off the parts are ambiguous; Read splits from the right and tells an address by its
//     form and a logon name, when there are only two parts, by having a lower-case letter, as WIN's own
//     importer does (WIN logdbconv.cpp ParseSenderSub, is_ipaddr, is_uid).
//   - The date line is "  at " and the local time in ctime form with the day zero-padded, "Mon Jan 02
//     15:04:05 2006" (WIN miscfunc.cpp Ctime turns ctime's space-padded day into '0' and drops the
//     newline), then always one space, then the labels with nothing between them, in this order (WIN
//     logmng.cpp WriteMsg): broadcast, auto-reply, multicast, the encryption or "unauthorized" label,
//     sealed or locked (a locked message is written "(locked)" instead of "(sealed)", never both),
//     delayed. With no label the line ends in that space. The labels are listed below.
//   - Only when files are attached, one more line: two spaces, a label, a space and the file names
//     (without folders) separated by ", " (WIN logmng.cpp WriteMsg). The label is "(files)" / "(添付)",
//     "(image)" / "(画像)" when every attachment is a pasted image, "(files/images)" / "(添付/画像)" when
//     both; pasted images are named ipmsgclip_*.png (WIN logdbconv.cpp ParseAttach).
//   - Then exactly 37 '-' (WIN logmng.cpp LOGMSG_HEAD_END), the message text as it was, and an empty line:
//     the writer appends "\r\n\r\n" to the text (WIN logmng.cpp WriteMsg). The text runs to the next entry.
//
// The labels are in the language of WIN's user interface (IPMsg.rc 3.21 string table; the ones new in
// 4.x from WIN logdbconv.cpp ParseOption, which knows both languages):
//
//	English              Japanese        meaning
//	(broadcast)          (同報)          sent to everyone (IPMSG_BROADCASTOPT)
//	(auto)               (自)            an absence auto-reply (IPMSG_AUTORETOPT)
//	(multi)              (多)            sent to several people (IPMSG_MULTICASTOPT)
//	(RSA)                (RSA)           encrypted, old RSA scheme
//	(RSA2)               (RSA2)          encrypted, RSA2 scheme
//	(RSA2/Signed)        (RSA2/認証)     encrypted and signed
//	(RSA2/Signed+)       (RSA2/認証+)    encrypted and signed, stronger signature (4.x)
//	(RSA2/Impersonate?)  (RSA2/偽装？)   encrypted, but the signature did not verify
//	(Unauthorized)       (未認証)        not encrypted, sender not verified
//	(sealed)             (封)            sealed (IPMSG_SECRETOPT)
//	(locked)             (錠)            sealed with a password (IPMSG_PASSWORDOPT)
//	(Delayed)            (遅延)          sent later than written (4.x)
//	(files)              (添付)          attachment line: files
//	(image)              (画像)          attachment line: pasted images only
//	(files/images)       (添付/画像)     attachment line: both
//
// WIN writes the file in UTF-8 when the "UTF-8" log option is on, which is the default since 4.x
// (cfg.cpp LogUTF8 = TRUE, setting "LogUTF8Ex"), else in the ANSI code page, CP932 on Japanese Windows;
// it never writes a byte-order mark (logmng.cpp Write appends the bytes as they are). Switching the option
// leaves a file with both encodings, so WIN's importer decides per entry (logdbconv.cpp AddTextLogToDb:
// IsUTF8 on each block from one separator to the next), and so does Read. Mac (the 2010 LogManager.m)
// writes Shift_JIS.
//
// There is no "opened" mark in the text log: whether a sealed message was opened lives only in WIN's
// log database, so Entry has no field for it.
//
// # Messages that contain log lines
//
// WIN does not escape the message text. A text line of 37 '=' followed by lines that look like a header
// cannot be told from the start of the next entry; WIN's importer guesses from the dates (a header older
// than the message around it is taken as quoted text, logdbconv.cpp AddTextLogToDb). This package splits
// wherever a complete header follows a separator line instead, so that clocks set back or logs joined
// together never swallow real entries. To keep Write and Read lossless, Write adds one space after a text
// line of 37 '=' when the next text line starts like a peer line (" From:" or " To:"), and Read removes
// one trailing space from a text line of 37 '=' followed by a space. WIN shows the line unchanged to the
// eye. Any other separator-like text (a lone row of '=' or '-') is written and read as it is.
//
// # Reading
//
// Read is tolerant: UTF-8 with or without a byte-order mark, or CP932, decided per entry; CR LF, LF or CR
// line ends; a space-padded day ("Jan  2"); labels in either language and any letter case; a numeric date
// such as Japanese IP Messenger for Mac writes ("2017年10月5日 木曜日 12:34:56", matched by its leading
// year, month, day and time); an unknown label ends the labels and is dropped. A separator followed by a
// peer line whose header does not parse (a bad peer or date line, a missing '-' line, the end of the file)
// is a damaged entry: its lines up to the next good entry are skipped and counted. Text before the first
// entry counts as one damaged entry. Read returns the good entries together with a *DamagedError, which
// matches ErrDamaged.
package ipmsglog
