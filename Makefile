# Hato: `make run` builds and starts the app, `make test` runs every test. Both install missing
# Debian/Ubuntu packages first (apt-get, through sudo when not root). Needs Go 1.26 or newer.
GO ?= go
BIN ?= hato
# Tests that need root (network namespaces, iptux) fail instead of skipping when run as root.
INTEROP := $(shell [ "$$(id -u)" = 0 ] && echo require)
FUZZTIME ?= 30s
# The app is built without Fyne's animations: the text cursor's fade redrew the whole window every frame
# while a text box had focus (about 12 % of a core, 1.5 % without; see README "Performance").
APPTAGS ?= no_animations

.PHONY: run build test bench fuzz windows deps-run deps-test clean

run: build
	./$(BIN)

build: deps-run
	$(GO) build -tags $(APPTAGS) -o $(BIN) .

test: deps-test
	$(GO) build -tags $(APPTAGS) -o /dev/null .
	$(GO) vet -tags ci ./...
	CGO_ENABLED=0 $(GO) test -tags ci -count=1 -run '^$$' -bench . -benchtime 1x ./...
	CGO_ENABLED=1 $(GO) test -race -tags ci -count=1 -timeout 15m $$($(GO) list ./... | grep -v /interop)
	HATO_INTEROP=$(INTEROP) CGO_ENABLED=0 $(GO) test -tags ci -count=1 -timeout 15m ./...

# Benchmark figures for the README (see "Performance"). The transfer benchmarks move a 1 GiB file and a
# 10,000-file folder against plain baselines (Go TCP copy; tar | socat, skipped without socat: see
# scripts/deps.sh test) and print the ratios.
bench:
	CGO_ENABLED=0 $(GO) test -tags ci -run '^$$' -bench . -benchmem ./protocol/... ./transfer/... ./history/...

# Each fuzz target for FUZZTIME; the inputs that found new coverage are copied into testdata/fuzz, where
# every plain `go test` replays them.
fuzz:
	for pkg in protocol/wire protocol/crypt transfer history/ipmsglog; do \
		for t in $$($(GO) test -list '^Fuzz' ./$$pkg | grep ^Fuzz); do \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) ./$$pkg || exit 1; \
			mkdir -p $$pkg/testdata/fuzz/$$t; \
			cp -n "$$($(GO) env GOCACHE)/fuzz/hato/$$pkg/$$t/"* $$pkg/testdata/fuzz/$$t/ 2>/dev/null || true; \
		done; \
	done

# A Windows build from Linux (needs the Debian package gcc-mingw-w64-x86-64; about 6 minutes cold).
windows:
	GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc $(GO) build -tags $(APPTAGS) -ldflags -H=windowsgui -o $(BIN).exe .

deps-run:
	./scripts/deps.sh run

deps-test:
	./scripts/deps.sh test

clean:
	rm -f $(BIN)
