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

# Where make install puts Hato: ~/.local for a normal user (the desktop finds it there), /usr/local for root.
PREFIX ?= $(if $(filter 0,$(shell id -u)),/usr/local,$(HOME)/.local)
APPID := io.github.hato.messenger
INSTALLED := bin/hato share/applications/$(APPID).desktop share/metainfo/$(APPID).metainfo.xml \
	share/icons/hicolor/scalable/apps/$(APPID).svg $(foreach s,16 32 48 64 128 256,share/icons/hicolor/$(s)x$(s)/apps/$(APPID).png)

# Packages are made with Fyne's own tool, pinned, built into .tools (it reads FyneApp.toml).
FYNE_TOOL := fyne.io/tools/cmd/fyne@v1.7.4
FYNE := $(CURDIR)/.tools/fyne
VERSION := $(shell sed -n 's/^Version = "\(.*\)"/\1/p' FyneApp.toml)

.PHONY: run build test test-windows bench fuzz windows deps-run deps-test deps-windows clean install uninstall install-check \
	package package-linux package-windows package-darwin

run: build
	./$(BIN)

build: deps-run
	$(GO) build -tags $(APPTAGS) -o $(BIN) .

test: deps-test install-check package
	$(GO) build -tags $(APPTAGS) -o /dev/null .
	$(GO) vet -tags ci ./...
	CGO_ENABLED=0 $(GO) test -tags ci -count=1 -run '^$$' -bench . -benchtime 1x ./...
	CGO_ENABLED=1 $(GO) test -race -tags ci -count=1 -timeout 15m $$($(GO) list ./... | grep -v /interop)
	HATO_INTEROP=$(INTEROP) CGO_ENABLED=0 $(GO) test -tags ci -count=1 -timeout 15m -skip '^TestWine' ./...
	$(MAKE) --no-print-directory test-windows

# The Windows build under Wine against the Linux build, in network namespaces (interop/wine_test.go):
# it cross-builds hato-cli.exe and hato.exe as make windows does, with the two standard-library changes
# Wine 8.0 needs (scripts/wine/overlay.go; about 7 minutes cold on 2 cores, seconds when cached), makes
# a private Wine prefix with a stand-in bcryptprimitives.dll (scripts/wine/bcryptprimitives.c) and runs
# the test (under a minute). As root it fails when Wine is missing; as a normal user it is skipped.
test-windows: deps-windows
	HATO_INTEROP=$(INTEROP) CGO_ENABLED=0 $(GO) test -tags ci -count=1 -timeout 20m -v -run '^TestWine' ./interop/

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

# A Windows build from Linux (needs the Debian package gcc-mingw-w64-x86-64; about 6 minutes cold): hato.exe,
# the app (no console window), and hato-cli.exe, the same program as a console program for scripts.
WINBUILD = GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc $(GO) build -tags $(APPTAGS)
windows:
	$(WINBUILD) -ldflags -H=windowsgui -o $(BIN).exe .
	$(WINBUILD) -o $(BIN)-cli.exe .

# The binary, the menu entry, the icon in every hicolor size and the AppStream metainfo. DESTDIR stages
# a package; the menu's Exec points at the installed binary.
install: build
	install -Dm755 $(BIN) $(DESTDIR)$(PREFIX)/bin/hato
	mkdir -p $(DESTDIR)$(PREFIX)/share/applications
	sed 's|@BINDIR@|$(PREFIX)/bin|' packaging/linux/$(APPID).desktop.in > $(DESTDIR)$(PREFIX)/share/applications/$(APPID).desktop
	install -Dm644 packaging/linux/$(APPID).metainfo.xml $(DESTDIR)$(PREFIX)/share/metainfo/$(APPID).metainfo.xml
	install -Dm644 assets/icon.svg $(DESTDIR)$(PREFIX)/share/icons/hicolor/scalable/apps/$(APPID).svg
	for s in 16 32 48 64 128 256; do \
		install -Dm644 packaging/linux/icons/$$s.png $(DESTDIR)$(PREFIX)/share/icons/hicolor/$${s}x$$s/apps/$(APPID).png; \
	done
	-[ -n "$(DESTDIR)" ] || update-desktop-database -q $(PREFIX)/share/applications 2>/dev/null
	-[ -n "$(DESTDIR)" ] || gtk-update-icon-cache -q -t $(PREFIX)/share/icons/hicolor 2>/dev/null

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/,$(INSTALLED))

# make install into a scratch folder; the menu entry and metainfo must pass the freedesktop validators,
# and make uninstall must leave nothing behind (but the desktop's shared menu and icon caches).
install-check: deps-test
	set -e; d=$$(mktemp -d); \
	$(MAKE) --no-print-directory install PREFIX=$$d/usr BIN=$$d/hato-built >/dev/null; \
	for f in $(INSTALLED); do [ -e $$d/usr/$$f ] || { echo "install-check: $$f not installed"; exit 1; }; done; \
	desktop-file-validate $$d/usr/share/applications/$(APPID).desktop; \
	appstreamcli validate --no-net --pedantic $$d/usr/share/metainfo/$(APPID).metainfo.xml >/dev/null; \
	grep -q "^Exec=$$d/usr/bin/hato$$" $$d/usr/share/applications/$(APPID).desktop; \
	$(MAKE) --no-print-directory uninstall PREFIX=$$d/usr; \
	left=$$(find $$d/usr -type f ! -name '*.cache'); [ -z "$$left" ] || { echo "install-check: left behind: $$left"; exit 1; }; \
	rm -rf $$d; echo "install-check: ok"

$(FYNE):
	GOBIN=$(CURDIR)/.tools $(GO) install $(FYNE_TOOL)

# dist/hato-VERSION-linux-amd64.tar.xz (Fyne's layout, with its own install Makefile) and
# dist/hato-VERSION-windows-amd64.zip (hato.exe with its icon and version information, which is checked).
package: package-linux package-windows

# The fyne tool counts builds in FyneApp.toml; the checkout keeps its own copy.
FYNE_PACKAGE = cp FyneApp.toml .tools/FyneApp.toml.keep && { $(1) $(FYNE) package $(2) --tags $(APPTAGS) --release; \
	s=$$?; mv .tools/FyneApp.toml.keep FyneApp.toml; exit $$s; }

package-linux: deps-run $(FYNE)
	$(call FYNE_PACKAGE,,-os linux)
	mkdir -p dist && mv Hato.tar.xz dist/hato-$(VERSION)-linux-amd64.tar.xz

# A Windows build from Linux with mingw (Debian package gcc-mingw-w64-x86-64; minutes when cold).
package-windows: deps-test $(FYNE)
	$(call FYNE_PACKAGE,GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc,-os windows)
	$(GO) run scripts/exeres.go Hato.exe
	$(WINBUILD) -o hato-cli.exe .
	$(GO) run scripts/exeres.go hato-cli.exe console
	mkdir -p dist && rm -f dist/hato-$(VERSION)-windows-amd64.zip
	python3 -m zipfile -c dist/hato-$(VERSION)-windows-amd64.zip Hato.exe hato-cli.exe && rm Hato.exe hato-cli.exe

# macOS: Hato.app, signed with your certificate; it needs a Mac with Xcode's command line tools.
package-darwin: $(FYNE)
	@[ "$$(uname)" = Darwin ] || { echo "package-darwin: run this on a Mac (it needs Xcode's tools)"; exit 1; }
	$(call FYNE_PACKAGE,,-os darwin)
	mkdir -p dist && mv Hato.app dist/

deps-run:
	./scripts/deps.sh run

deps-test:
	./scripts/deps.sh test

deps-windows:
	./scripts/deps.sh windows

clean:
	rm -rf $(BIN) dist .tools
