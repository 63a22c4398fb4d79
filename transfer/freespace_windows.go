package transfer

import "golang.org/x/sys/windows"

// freeSpace returns the bytes this user may still write on the volume holding dir (quotas included),
// and that volume's size.
func freeSpace(dir string) (free, total int64, err error) {
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return 0, 0, err
	}
	var avail, size, all uint64
	if err := windows.GetDiskFreeSpaceEx(p, &avail, &size, &all); err != nil {
		return 0, 0, err
	}
	return int64(avail), int64(size), nil
}
