package messenger

import "testing"

func TestSocketInode(t *testing.T) {
	table := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
 1234: 00000000:0979 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 424242 2 0000000000000000 0
 1235: 0100007F:1F90 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 777 2 0000000000000000 0
`
	if got := socketInode(table, 2425); got != "424242" {
		t.Errorf("port 2425: inode %q", got)
	}
	if got := socketInode(table, 2426); got != "" {
		t.Errorf("port 2426: inode %q", got)
	}
}
