package history

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// benchCorpusVersion keys the cached benchmark database: bump it when the
// generator changes (the schema version is part of the key too).
const benchCorpusVersion = 4

const benchRecords = 100_000

var (
	enWords = strings.Fields(`the a to and of for in on at with is are was will be please
		can could you we I our your this that it meeting report quarterly budget server
		printer deploy release build test review schedule tomorrow today morning afternoon
		lunch coffee invoice customer project deadline update status file folder share
		attached document slides notes minutes agenda call phone office holiday vacation
		backup network password account access issue ticket bug fix patch version
		thanks thank sorry ok sure done check send sent received copy draft final`)
	jaPhrases = strings.Fields(`お疲れ様です 会議の資料を共有します 議事録を送ります 明日の打ち合わせ
		確認お願いします ファイルを送りました 了解しました 本日は休みます プロジェクトの進捗
		来週の予定 昼食に行きませんか サーバーが停止しています 見積書 請求書 よろしくお願いします
		資料を修正しました 会議室を予約しました 午後から外出します 至急 対応中です 完了しました
		プリンターが動きません バックアップ 新しいバージョン テスト結果 ありがとうございます`)
	zhPhrases = strings.Fields(`你好 请查收附件 明天开会 测试结果 项目进度 服务器 会议纪要 谢谢
		下午三点 报告 收到 好的 文件已发送 请确认 打印机坏了 今天请假 客户 发票 版本更新
		备份完成 网络故障 密码 修改 问题已解决 周末愉快 辛苦了 马上处理 通知 消息`)
	benchPeers = []Peer{
		{User: "tanaka", Host: "PC-TANAKA", Nick: "田中", Group: "開発", Addr: "192.168.1.11:2425"},
		{User: "suzuki", Host: "pc-suzuki", Nick: "鈴木", Group: "営業", Addr: "192.168.1.12:2425"},
		{User: "wang", Host: "WANG-LAPTOP", Nick: "王伟", Group: "研发", Addr: "192.168.1.13:2425"},
		{User: "alice", Host: "alice-mbp", Nick: "Alice", Group: "Sales", Addr: "192.168.1.14:2425"},
		{User: "bob", Host: "bob-desktop", Nick: "Bob", Group: "IT", Addr: "192.168.1.15:2425"},
	}
)

// benchRecord makes message i: half English, a third Japanese, the rest
// Chinese, 3 to 40 words or phrases, sometimes with a ticket number.
func benchRecord(rng *rand.Rand, i int, start time.Time) *Record {
	var pool []string
	sep := ""
	switch n := rng.IntN(6); {
	case n < 3:
		pool, sep = enWords, " "
	case n < 5:
		pool, sep = jaPhrases, "。"
	default:
		pool, sep = zhPhrases, "，"
	}
	words := make([]string, 3+rng.IntN(38))
	for j := range words {
		words[j] = pool[rng.IntN(len(pool))]
	}
	text := strings.Join(words, sep)
	if rng.IntN(10) == 0 {
		text += fmt.Sprintf(" #%d", 10000+rng.IntN(90000))
	}
	r := &Record{
		Dir:  []Direction{In, Out}[rng.IntN(2)],
		Time: start.Add(time.Duration(i) * 5 * time.Minute),
		Peer: benchPeers[rng.IntN(len(benchPeers))],
		Text: text, Delivered: true,
	}
	if rng.IntN(20) == 0 {
		r.Attachments = []Attachment{{ID: uint64(i), Name: fmt.Sprintf("file-%d.pdf", i), Size: int64(rng.IntN(1 << 20))}}
	}
	return r
}

var (
	benchOnce  sync.Once
	benchStore *Store
	benchErr   error
)

// benchDB opens the 100,000-message database, building it once into
// os.TempDir: later runs reuse the file.
func benchDB(b *testing.B) *Store {
	benchOnce.Do(func() {
		path := filepath.Join(os.TempDir(), fmt.Sprintf("hato-history-bench-v%d-s%d.db", benchCorpusVersion, schemaVersion))
		if _, err := os.Stat(path); err != nil {
			start := time.Now()
			if benchErr = buildBenchDB(path); benchErr != nil {
				return
			}
			b.Logf("built %s (%d messages) in %v", path, benchRecords, time.Since(start).Round(time.Millisecond))
		}
		start := time.Now()
		benchStore, benchErr = Open(path)
		if benchErr == nil {
			st, _ := os.Stat(path)
			b.Logf("opened %s (%d MB) in %v (quick_check included)", path, st.Size()>>20, time.Since(start).Round(time.Millisecond))
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchStore
}

// buildBenchDB writes the corpus under a temporary name and renames it, so
// an interrupted build is never mistaken for a complete one.
func buildBenchDB(path string) error {
	tmp := fmt.Sprintf("%s.building-%d", path, os.Getpid())
	defer os.Remove(tmp)
	s, err := Open(tmp)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC)
	const batch = 5000
	for i := 0; i < benchRecords; i += batch {
		rs := make([]*Record, batch)
		for j := range rs {
			rs[j] = benchRecord(rng, i+j, start)
		}
		if err := s.addAll(rs); err != nil {
			s.Close()
			return err
		}
	}
	if err := s.Close(); err != nil { // checkpoints: no -wal left behind
		return err
	}
	return os.Rename(tmp, path)
}

func BenchmarkSearch100k(b *testing.B) {
	s := benchDB(b)
	for _, c := range []struct {
		name string
		q    Query
	}{
		{"list", Query{}},
		{"en-word", Query{Text: "invoice"}},
		{"en-two-words", Query{Text: "quarterly budget"}},
		{"en-rare", Query{Text: "#12345"}},
		{"en-none", Query{Text: "xylophone"}},
		{"ja-議事録", Query{Text: "議事録"}},
		{"ja-two-phrases", Query{Text: "議事録 至急"}},
		{"zh-会议纪要", Query{Text: "会议纪要"}},
		{"zh-2char-消息", Query{Text: "消息"}},        // LIKE fallback
		{"ja-2char-none", Query{Text: "東京"}},      // LIKE fallback over every row
		{"ja-1char-会", Query{Text: "会"}},          // LIKE, stops at the limit
		{"ja-1char-none-猫", Query{Text: "猫"}},     // term list: nothing
		{"1char-cased-none-Ж", Query{Text: "Ж"}},  // LIKE over every row
		{"peer-only-none", Query{Peer: "nobody"}}, // LIKE on the peer columns of every row
		{"peer+text", Query{Text: "deadline", Peer: "alice"}},
		{"since+text", Query{Text: "サーバー", Since: time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC)}},
		{"page-2", Query{Text: "server", Before: 90_000}},
		{"old-month+text", Query{Text: "invoice", Since: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)}},
		{"old-month+2char", Query{Text: "会議", Until: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)}},
		{"old-month", Query{Until: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)}},
		{"peer-addr", Query{Peer: "192.168.1.1"}}, // every peer matches: stops at the limit
	} {
		b.Run(c.name, func(b *testing.B) {
			var hits []Hit
			for b.Loop() {
				var err error
				if hits, err = s.Search(c.q); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(hits)), "hits")
		})
	}
}

func BenchmarkAdd(b *testing.B) {
	s, _ := openTemp(b)
	rng := rand.New(rand.NewPCG(3, 4))
	start := time.Now()
	i := 0
	for b.Loop() {
		if err := s.Add(benchRecord(rng, i, start)); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
