package wire

import "testing"

// Realistic datagrams: a short UTF-8 message and Windows' BR_ENTRY with every capability.
var benchPackets = []struct {
	name string
	raw  []byte
}{
	{"sendmsg", []byte("1:1700000002:taro:PC01:8388896:hello 世界, this is a typical short message.\x00")},
	{"entry", []byte("1:1700000001:taro:PC01:258211841:Taro\x00Dev\x00" + winLines)},
	{"iptux-entry", []byte("1_iptux 0.8.3:1:root:iptuxhost:257:IptuxPeer\x00InteropLab" + iptuxExt + "\x00")},
}

func BenchmarkParse(b *testing.B) {
	for _, c := range benchPackets {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.raw)))
			for b.Loop() {
				if _, err := Parse(c.raw); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "packets/s")
		})
	}
}

func BenchmarkAppend(b *testing.B) {
	for _, c := range benchPackets {
		b.Run(c.name, func(b *testing.B) {
			p, err := Parse(c.raw)
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 0, 256)
			b.ReportAllocs()
			b.SetBytes(int64(len(c.raw)))
			for b.Loop() {
				buf = p.Append(buf[:0])
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "packets/s")
		})
	}
}

func BenchmarkParseEntryPayload(b *testing.B) {
	p, _ := Parse(benchPackets[1].raw)
	b.ReportAllocs()
	for b.Loop() {
		ParseEntry(p)
	}
}
