# sluice — see README.md. Every target works on a fresh machine with only Go installed.
GO       ?= go
PKGS     ?= ./...
DATA     ?= ./data
LISTEN   ?= 127.0.0.1:8080
BENCHCOUNT ?= 6
BENCHTIME  ?= 1s

.PHONY: run cluster build test vet lint fuzz bench bench-load bench-volume bench-report screenshots clean

## run: build and start the server on loopback with a local store and demo data
run: build
	./bin/sluiced -listen $(LISTEN) -data $(DATA)

# VERSION is what --version prints: the git description of the checkout when there is one.
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null)
LDFLAGS  ?= $(if $(VERSION),-X github.com/sluicehq/sluice/cmd/internal/version.Version=$(VERSION))

## cluster: a local three-server NATS JetStream cluster (in-process) with two indexers and two webservers
cluster: build
	$(GO) run ./cmd/sluice-cluster -sluiced ./bin/sluiced -dir $(DATA)/cluster

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/sluiced ./cmd/sluiced
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/sluice ./cmd/sluice

## test: vet, the race-enabled tests (fuzz seeds included), then the allocation tests and the
## NoRace tests (which drive third-party clients that race themselves) without race
test: vet
	$(GO) test -race -shuffle=on -timeout 20m $(PKGS)
	$(GO) test -run 'Alloc|NoRace' -count=1 -timeout 10m $(PKGS)

vet:
	$(GO) vet $(PKGS)

## screenshots: run the web console's browser tests (Debian chromium, headless) and keep every screenshot in web/screenshots/
screenshots:
	rm -rf web/screenshots
	$(GO) test -count=1 -run 'TestConsole' -timeout 5m ./web/
	@ls -1 web/screenshots/*.png

## lint: formatting diff, vet and staticcheck
lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) run honnef.co/go/tools/cmd/staticcheck@latest $(PKGS)

## fuzz: every fuzz target, bounded
fuzz:
	@for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list 'Fuzz.*' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime=10000x $$pkg || exit 1; \
	  done; \
	done

## bench: every benchmark, several runs, summarised with benchstat into bench/results/
bench:
	mkdir -p bench/results
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) -benchtime $(BENCHTIME) -timeout 60m $(PKGS) | tee bench/results/bench.txt
	$(GO) run golang.org/x/perf/cmd/benchstat@latest bench/results/bench.txt | tee bench/results/benchstat.txt

## bench-volume: the issue-9 volume jobs (10M-entry stream from launch, 100 launches under a 256 MiB budget)
bench-volume:
	bash bench/volume.sh

## bench-load: the load generators against a fresh server and the baseline, a few minutes on 2 cores
bench-load: build
	bash bench/load.sh

## bench-report: suites with -count, load generators against fresh servers, then BENCHMARKS.md (~10 min on 2 cores)
bench-report:
	bash bench/report.sh

clean:
	rm -rf bin
