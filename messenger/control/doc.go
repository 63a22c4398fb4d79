// Package control is the local control endpoint of a running Hato: one Hato runs per profile, and
// `hato send ...` typed in a shell runs inside it (where the answers to UDP port 2425 arrive) instead
// of starting a second IPMsg node.
//
// # Endpoint
//
// The running Hato (the app, or `hato serve`) listens on the Unix domain socket control.sock in the
// profile folder. [Listen] creates the folder with mode 0700 when it is missing, refuses a folder
// that another user owns or may write to, and gives the socket mode 0600. Only the owning user can
// reach it: on Linux the server also checks each connection's SO_PEERCRED and answers a connection
// from another uid with an error, and nothing else; on macOS and Windows the folder and socket
// permissions are the only guard. A socket path may be at most 107 bytes long (103 on macOS and
// the BSDs): a profile folder too deep for that gets its socket in $XDG_RUNTIME_DIR (else in a
// hato-<uid> folder of the temporary folder, 0700) as hato-<16 hex digits of the folder's SHA-256>.sock;
// the lock stays in the profile folder.
//
// Before binding, [Listen] takes an exclusive lock on control.lock in the same folder (flock on
// Unix, LockFileEx on Windows) and writes its pid there; it holds the lock until the server closes.
// So two Hatos never both own a profile: the second gets [ErrRunning], naming the first one's pid.
// A control.sock found while holding the lock was left by a crash and is replaced.
//
// # Wire format
//
// Both directions carry JSON lines: one JSON object per line, UTF-8, ending in "\n", at most 1 MiB
// (1,048,576 bytes) without the "\n". A connection carries exactly one request, sent by the client
// within 10 s of connecting:
//
//	{"v":1,"op":"run","args":["send","--to","x","hi"],"cwd":"/home/u"}
//	{"v":1,"op":"activate"}
//	{"v":1,"op":"ping"}
//
// "v" is the protocol version and must be 1. "op" is one of:
//
//   - "run": run a subcommand inside the running Hato. "args" (required, a non-empty array of
//     strings) is what followed `hato` on the command line; "cwd" (required, an absolute path) is
//     the client's working folder, against which relative paths in args are resolved.
//   - "activate": show the app's window.
//   - "ping": check that the Hato answers.
//
// Fields other than these four, and "args" or "cwd" with another op than "run", are errors.
//
// A run is answered with any number of lines
//
//	{"stdout":"text"}
//	{"stderr":"text"}
//
// in the order the subcommand wrote them, each as soon as it was written (the text is what one write
// held, possibly several lines or part of one; a long write is split into pieces of at most 32 KiB
// at UTF-8 boundaries; invalid UTF-8 becomes U+FFFD), then exactly one final line
//
//	{"exit":N}
//
// with the subcommand's exit code, and the server closes the connection. The client keeps its end
// open until then and sends nothing more: closing it (or shutting down its writing side) cancels the
// run, which stops the subcommand.
//
// "activate" and "ping" are answered with one line and the connection is closed:
//
//	{"ok":true,"pid":N}
//
// where N is the process id of the running Hato.
//
// A request that cannot be carried out is answered with one line, and the connection is closed:
//
//	{"error":"reason"}
//
// This happens to a line that is not a JSON object, or longer than 1 MiB, or not ended by "\n"
// before the client closed its writing side; to a wrong "v", an unknown "op", a missing field or
// one of the wrong type (the reason names the field); to a connection that sent no complete request
// within 10 s; to a connection from another user (Linux); and to an "activate" the Hato could not
// do (a headless `hato serve` has no window). Nothing else happens: a malformed request, or one
// from another user, never reaches the Hato.
//
// Clients must ignore fields they do not know in the answers.
package control
