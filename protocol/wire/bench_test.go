package wire

import "testing"

var (
	benchSendMsg = []byte("1:1700000002:taro:PC01:8388896:hello 世界, this is a typical short message.\x00")
	benchEntry   = []byte("1:1700000001:taro:PC01:258211841:Taro\x00Dev\x00\nUN:taro\nHN:PC01\nNN:Taro\nGN:Dev\nVS:00010002:4:99:3")
)

func benchParse(b *testing.B, raw []byte) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "packets/s")
}

func BenchmarkParseSendMsg(b *testing.B) { benchParse(b, benchSendMsg) }
func BenchmarkParseEntry(b *testing.B)   { benchParse(b, benchEntry) }

func BenchmarkAppendSendMsg(b *testing.B) {
	p, _ := Parse(benchSendMsg)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = p.Append(buf[:0])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "packets/s")
}
