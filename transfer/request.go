package transfer

import (
	"fmt"
	"strconv"
	"strings"
)

// RequestArgs are the arguments of GETFILEDATA (`packetNo:fileID:offset`) and GETDIRFILES
// (`packetNo:fileID`), all hex. Windows and Mac add a trailing ':' (and Mac wants the offset even for
// folders); iptux leaves it off.
type RequestArgs struct {
	Packet uint32
	FileID string // as sent: hex from every client, but iptux may send its decimal form
	Offset int64
}

// ParseRequestArgs reads a request's message part.
func ParseRequestArgs(s string) (RequestArgs, error) {
	var a RequestArgs
	fields := strings.Split(strings.TrimRight(s, ":\x00"), ":")
	if len(fields) < 2 {
		return a, fmt.Errorf("file request %q: want packetNo:fileID[:offset]", clip(s))
	}
	no, err := strconv.ParseUint(fields[0], 16, 32)
	if err != nil {
		return a, fmt.Errorf("file request %q: packet number %q is not 32-bit hex", clip(s), clip(fields[0]))
	}
	a.Packet = uint32(no)
	if _, err := strconv.ParseUint(fields[1], 16, 64); err != nil {
		return a, fmt.Errorf("file request %q: file id %q is not hex", clip(s), clip(fields[1]))
	}
	a.FileID = fields[1]
	if len(fields) > 2 && fields[2] != "" {
		off, err := strconv.ParseUint(fields[2], 16, 63)
		if err != nil {
			return a, fmt.Errorf("file request %q: offset %q is not hex", clip(s), clip(fields[2]))
		}
		a.Offset = int64(off)
	}
	return a, nil
}

// IDs are the file ids the request may mean: its hex value first, then, for iptux, the same digits
// read as decimal.
func (a RequestArgs) IDs() []uint64 {
	var out []uint64
	if v, err := strconv.ParseUint(a.FileID, 16, 64); err == nil {
		out = append(out, v)
	}
	if v, err := strconv.ParseUint(a.FileID, 10, 64); err == nil && (len(out) == 0 || v != out[0]) {
		out = append(out, v)
	}
	return out
}

// FileDataArgs writes GETFILEDATA's arguments as Windows does, with the trailing ':' Mac requires.
func FileDataArgs(packet uint32, id uint64, offset int64) string {
	return fmt.Sprintf("%x:%x:%x:", packet, id, offset)
}

// DirFilesArgs writes GETDIRFILES's arguments; the `0:` offset is there because Mac rejects fewer fields.
func DirFilesArgs(packet uint32, id uint64) string {
	return fmt.Sprintf("%x:%x:0:", packet, id)
}
