# Grest Swift — one entry point for building, testing, running and measuring the monorepo.
# Every target first runs Scripts/bootstrap, which installs missing machine packages (idempotent).

SWIFT ?= swift
PACKAGES := Schema Context $(notdir $(wildcard Packages/Http Packages/WebSocket Packages/Metrics Packages/Discovery Packages/TestKit))

.PHONY: all bootstrap build test test-packages check-standalone check-boundaries check-versions check-release release run chat-client schema-demo bench bench-schema bench-http bench-ws bench-rpc conformance \
        conformance-json conformance-autobahn format lint clean

all: build

bootstrap:
	@bash Scripts/bootstrap

build: bootstrap
	$(SWIFT) build

# All tests of every package, compiled in one graph by the root development manifest. Each package's tests run
# as their own batch: CPU-heavy table tests (schema, formats) would otherwise starve the two cooperative threads
# that the socket tests' timeouts rely on. Scripts/test-batch bounds each batch in time and names what hung.
TEST_TARGETS := GrestSchemaTests GrestContextTests GrestHTTPTests WebSocketCompressionTests GrestWebSocketTransportTests GrestWebSocketTests
# Each new package appends its own test targets on its own line.
TEST_TARGETS += ChatExampleTests
TEST_TARGETS += GrestMetricsTests
TEST_TARGETS += GrestDiscoveryTests GrestDiscoveryEtcdTests GrestDiscoveryIntegrationTests GrestDiscoveryLocalTests
TEST_TARGETS += GrestTestKitTests

test: bootstrap
	$(SWIFT) build --build-tests
	@set -e; for t in $(TEST_TARGETS); do \
	  echo "== $$t"; \
	  SWIFT="$(SWIFT)" bash Scripts/test-batch "$$t"; \
	done
	bash Scripts/browser-test.sh

# Each package alone, as an adopter would depend on it (selective adoption), and the examples package that
# `make run` builds; then no manifest drifts from the root's dependency floors, and released packages build in
# consumer packages outside the repository.
# Schema and Context each get a scratch folder of their own (nothing else built beside them, so an import of a module
# they do not declare cannot compile). The NIO-based packages share one scratch folder so SwiftNIO and its
# siblings compile once; the explicit import check fails a target that imports a module it does not declare.
STANDALONE_SHARED := .build-standalone/shared
check-standalone: bootstrap check-versions check-boundaries
	@set -e; for p in $(PACKAGES); do \
	  case $$p in Schema|Context) scratch=.build-standalone/$$p ;; *) scratch=$(STANDALONE_SHARED) ;; esac; \
	  echo "== Packages/$$p (standalone, $$scratch)"; \
	  $(SWIFT) build --package-path Packages/$$p --scratch-path $$scratch --explicit-target-dependency-import-check error; \
	done
	@echo "== Examples (standalone)"
	$(SWIFT) build --package-path Examples --scratch-path .build-examples
	bash Scripts/check-release.sh

# The module boundaries adopters see (issue #11 §2), read from the manifests without compiling: GrestMiddleware links no
# HTTP server, GrestWebSocketClient no GrestHTTP and no socket server, GrestWebSocket (server) no swift-crypto; in each
# package's own manifest and in the root one.
check-boundaries:
	python3 Scripts/check-boundaries

# Every manifest names the root Package.swift's floor for each shared dependency.
check-versions:
	python3 Scripts/check-versions

# Releases Schema, Context and Http into local repositories and builds consumers of them by file:// URL.
check-release: bootstrap
	bash Scripts/check-release.sh

# One package as its own git repository: `make release PACKAGE=Schema VERSION=0.2.0` (dry run into
# .build-release/; Scripts/release --push REMOTE publishes).
release:
	bash Scripts/release $(PACKAGE) $(VERSION)

# The main job: the chat example server on a fixed port (PORT=8080); it prints how to connect.
# `make chat-client TOKEN=bob TEXT="hi"` sends a message from another terminal; `make schema-demo` runs the schema tour.
PORT ?= 8080
TOKEN ?= alice
TEXT ?= hello from make
run: bootstrap
	$(SWIFT) run --package-path Examples --scratch-path .build-examples grest-chat-server --port $(PORT)

# The chat example as a cluster: the discovery router on ROUTER_PORT (9000) and REPLICAS (2) chat servers behind it.
ROUTER_PORT ?= 9000
REPLICAS ?= 2
.PHONY: cluster
cluster: bootstrap
	ROUTER_PORT=$(ROUTER_PORT) REPLICAS=$(REPLICAS) bash Scripts/cluster.sh

chat-client: bootstrap
	$(SWIFT) run --package-path Examples --scratch-path .build-examples grest-chat-client --port $(PORT) --token $(TOKEN) "$(TEXT)"

schema-demo: bootstrap
	$(SWIFT) run --package-path Examples --scratch-path .build-examples grest-schema-demo

bench: bench-schema bench-http bench-ws bench-rpc

bench-schema: bootstrap
	$(SWIFT) run -c release --package-path Benchmarks/SchemaBench --scratch-path .build-bench-schema grest-schema-bench

bench-http: bootstrap
	bash Scripts/bench-http.sh

bench-ws: bootstrap
	bash Scripts/bench-ws.sh

# The chat example under load: 1 000 clients in one channel vs a Node `ws` broadcast server (RATES="10 20 50").
.PHONY: bench-chat
bench-chat: bootstrap
	bash Scripts/bench-chat.sh

bench-rpc: bootstrap
	bash Scripts/bench-rpc.sh

.PHONY: bench-cluster
bench-cluster: bootstrap
	bash Scripts/bench-cluster.sh

.PHONY: bench-metrics
bench-metrics: bootstrap
	$(SWIFT) run -c release --package-path Benchmarks/MetricsBench --scratch-path .build-bench-metrics grest-metrics-bench

.PHONY: bench-discovery
bench-discovery: bootstrap
	bash Scripts/bench-discovery.sh

# Outside judges: JSONTestSuite (318 cases) and, once the WebSocket transport lands, Autobahn in both roles.
conformance: conformance-json $(if $(wildcard Scripts/conformance-autobahn.sh),conformance-autobahn)

conformance-json: bootstrap
	$(SWIFT) test --filter JSONTestSuite

conformance-autobahn: bootstrap
	bash Scripts/conformance-autobahn.sh

format:
	$(SWIFT) format --in-place --recursive --configuration .swift-format Packages Examples Benchmarks

lint:
	$(SWIFT) format lint --recursive --configuration .swift-format Packages Examples Benchmarks

clean:
	rm -rf .build .build-* Packages/*/.build Packages/*/.build-* Examples/.build Benchmarks/*/.build
