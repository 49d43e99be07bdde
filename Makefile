# pinggu — build, test, demo, benchmark, fuzz.
#
#   make            build ./pinggu (optimised, with debug info) and the pages (web/dist, npm)
#   make check      install missing Debian packages, then build with ASan+UBSan and run every
#                   unit test (cmocka) and black-box test (tests/cli) against the real binary
#   make check-pg   the PostgreSQL pass alone (throwaway clusters), each part timed
#   make demo       install, build, and run a whole assessment round on a synthetic province
#   make demo-serve a server on a small round with one account per role (Ctrl-C stops it)
#   make screenshots each role's main page into docs/img/ (a real browser)
#   make bench      the benchmarks of bench/ (figures beside their peers')
#   make fuzz       build the libFuzzer targets with clang; `make fuzz-run` runs each 60 s
#   make format     clang-format the tree
#   make install    PREFIX=/usr/local: bin/pinggu and share/pinggu/{plans,forms,rules,calendars}
#
# Objects of the two flavours live apart: build/rel (release) and build/san (sanitisers).

CC       ?= cc
PKGS     := sqlite3 libpq jansson yajl libsodium xlsxwriter gsl libxml-2.0 libmicrohttpd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LIBS     := $(PKG_LIBS) -lreadstat -lpthread -lm
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wno-missing-field-initializers -Wformat=2 -Wno-format-nonliteral -Wno-format-truncation
CFLAGS_COMMON := -std=c11 -D_GNU_SOURCE $(WARN) $(PKG_CFLAGS) -Isrc -g
REL_FLAGS := -O2
SAN_FLAGS := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

LIB_SRC  := $(sort $(filter-out src/cli/%,$(wildcard src/*/*.c)))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))

REL_LIB_OBJ := $(LIB_SRC:%.c=build/rel/%.o)
REL_CLI_OBJ := $(CLI_SRC:%.c=build/rel/%.o)
SAN_LIB_OBJ := $(LIB_SRC:%.c=build/san/%.o)
SAN_CLI_OBJ := $(CLI_SRC:%.c=build/san/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/san/tests/%)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=build/fuzz/%)

.PHONY: all check check-pg unit cli-test demo demo-pg bench fuzz fuzz-run format lint clean deps docs install web demo-serve screenshots

PREFIX   ?= /usr/local
DATADIR  ?= $(PREFIX)/share/pinggu
DATA_DIRS := plans forms rules calendars
# the shipped data's installed home, compiled into data_find (src/base/datadir.c)
build/rel/src/base/datadir.o build/san/src/base/datadir.o: CFLAGS_COMMON += -DPINGGU_DATADIR='"$(DATADIR)"'

all: pinggu web

pinggu: build/rel/pinggu
	cp $< $@

build/rel/pinggu: $(REL_CLI_OBJ) build/rel/libpinggu.a
	$(CC) $(CFLAGS_COMMON) $(REL_FLAGS) -o $@ $^ $(LIBS)

build/san/pinggu: $(SAN_CLI_OBJ) build/san/libpinggu.a
	$(CC) $(CFLAGS_COMMON) $(SAN_FLAGS) -o $@ $^ $(LIBS)

build/rel/libpinggu.a: $(REL_LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

build/san/libpinggu.a: $(SAN_LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

build/rel/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "cc  $<"
	@$(CC) $(CFLAGS_COMMON) $(REL_FLAGS) -MMD -MP -c $< -o $@

build/san/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "cc  $< (asan+ubsan)"
	@$(CC) $(CFLAGS_COMMON) $(SAN_FLAGS) -MMD -MP -c $< -o $@

build/san/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) build/san/libpinggu.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(SAN_FLAGS) -Itests/unit -o $@ $< build/san/libpinggu.a \
		$(LIBS) $(shell pkg-config --libs cmocka)

deps:
	@scripts/deps.sh build

install: pinggu
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(DATADIR)
	install -m 755 pinggu $(DESTDIR)$(PREFIX)/bin/pinggu
	for d in $(DATA_DIRS); do install -d $(DESTDIR)$(DATADIR)/$$d && \
		install -m 644 $$d/* $(DESTDIR)$(DATADIR)/$$d/; done

# Every test, under AddressSanitizer and UndefinedBehaviorSanitizer.
check:
	@scripts/deps.sh check
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory build/san/pinggu $(UNIT_BIN) pinggu tests/xform/node_modules/.installed web
	@$(MAKE) --no-print-directory unit cli-test

# ODK's XForms engine for tests/cli/t_xform.sh, exactly as the lockfile says
tests/xform/node_modules/.installed: tests/xform/package.json tests/xform/package-lock.json
	cd tests/xform && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# the pages (web/): every role's pages (web/index.html, web/src/pages/, docs/pages.md) and ODK
# Web Forms for browser entry, built by npm from the lockfile into web/dist
WEB_SRC := $(wildcard web/*.html web/src/*.js web/src/pages/* web/public/* web/vite.config.js)
web: web/dist/entry.html
web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@
web/dist/entry.html: web/node_modules/.installed $(WEB_SRC)
	cd web && npm run --silent build -- --logLevel warn
	@touch $@

# a server on a small demo round with one account per role (docs/pages.md); runs in the
# foreground until Ctrl-C. DEMO_PORT picks the port.
DEMO_PORT ?= 8080
demo-serve: pinggu web
	@rm -rf build/demo-serve
	@sh tests/web/pages-store.sh $(CURDIR)/pinggu $(CURDIR) $(CURDIR)/build/demo-serve >/dev/null
	@# between rounds, for the monitoring pages: yearly snapshots, attendance, plans and training
	@cd build/demo-serve && P=$(CURDIR)/pinggu && export PINGGU_PROGRESS=0 && \
	  $$P synth --out mon --seed 7 --counties 6 --monitor --attendance 2019-11 --bulletin 2019-11 >/dev/null && \
	  for y in 2017 2018 2019; do $$P import --db r.db mon/snapshots/$$y --snapshot $$y-12-31 >/dev/null; done && \
	  $$P attendance import --db r.db --villages mon/attendance/villages.csv --roster mon/attendance/roster.csv \
	    --checkins mon/attendance/checkins.csv >/dev/null && \
	  $$P monitor import --db r.db --plans mon/monitor/plans.csv --training mon/monitor/training.csv >/dev/null
	@echo "pinggu serve: http://127.0.0.1:$(DEMO_PORT)/  (round n; Ctrl-C stops it)"
	@echo "accounts (password Pages-Pass-2020, to be changed at the first sign-in):"
	@echo "  wang 省扶贫办 office · li 组长 leader · zhao 评估人员 evaluator · xian 县联络员 county"
	@echo "  shi 市联络员 city · jiandu 纪律监督 supervisor · guancha 观察员 observer · cadre 组长 on own city"
	@echo "monitoring pages: snapshots 2017-2019, attendance 2019-11; bulletin sheet build/demo-serve/mon/bulletin.csv"
	@PINGGU_TODAY=2020-06-30 ./pinggu serve --db build/demo-serve/r.db --listen 127.0.0.1:$(DEMO_PORT) --web web/dist

# each role's main page as a PNG in docs/img/ (the browser test of t_pages.sh, with SHOTS)
screenshots: build/san/pinggu web
	@mkdir -p docs/img
	@PINGGU=$(CURDIR)/build/san/pinggu PAGES_SHOTS=$(CURDIR)/docs/img sh -c 'd=$$(mktemp -d) && \
		cd $$d && mkdir cfg && XDG_CONFIG_HOME=$$d/cfg TESTS_DIR=$(CURDIR)/tests/cli ROOT=$(CURDIR) \
		PINGGU_ACTOR=tester PINGGU_PROGRESS=0 sh $(CURDIR)/tests/cli/t_pages.sh >/dev/null && rm -rf $$d'
	@ls docs/img/*.png

# the PostgreSQL pass alone (make check runs it among the rest): the backend's unit test, then
# t_pg (both backends compared), t_pg_load (concurrency, faults), t_pg_partition, t_pg_suite_*
# (the CLI suites on PostgreSQL through lib.sh's backend switch, two at a time, each with its
# own cluster; PG_JOBS=1 one after another), each timed with its CPU; docs/scale.md
check-pg: build/san/pinggu build/san/tests/test_store_pg tests/xform/node_modules/.installed web
	@scripts/deps.sh check
	@t0=$$(date +%s); scripts/run-unit.sh build/san/tests/test_store_pg && \
	  PINGGU=$(CURDIR)/build/san/pinggu CLI_TESTS='t_pg*' tests/cli/run.sh; rc=$$?; \
	  echo "PostgreSQL pass: $$(($$(date +%s) - t0)) s"; exit $$rc

unit: $(UNIT_BIN)
	@scripts/run-unit.sh $(UNIT_BIN)

cli-test: build/san/pinggu
	@PINGGU=$(CURDIR)/build/san/pinggu tests/cli/run.sh

lint:
	@scripts/lint.sh

demo:
	@scripts/deps.sh build
	@$(MAKE) --no-print-directory pinggu
	@scripts/demo.sh

# the demo round on PostgreSQL: a throwaway cluster (scripts/pg-cluster.sh), docs/scale.md
demo-pg:
	@scripts/deps.sh check
	@$(MAKE) --no-print-directory pinggu
	@scripts/demo-pg.sh

bench:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory pinggu
	@bench/run.sh

FUZZ_CFLAGS := $(filter-out -Wno-format-truncation,$(CFLAGS_COMMON)) -O1
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build/fuzz/%.o)

build/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "cc  $< (fuzz)"
	@clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

build/fuzz/libpinggu.a: $(FUZZ_LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

build/fuzz/%: fuzz/%.c build/fuzz/libpinggu.a
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< build/fuzz/libpinggu.a \
		$(LIBS)

fuzz:
	@scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory $(FUZZ_BIN)

fuzz-run: fuzz
	@scripts/fuzz-run.sh $(or $(FUZZ_SECONDS),60) $(FUZZ_BIN)

format:
	clang-format -i $(LIB_SRC) $(CLI_SRC) $(wildcard src/*/*.h) $(UNIT_SRC) \
		$(wildcard tests/unit/*.h) $(FUZZ_SRC)

docs: pinggu
	./pinggu help formats > docs/formats.md

clean:
	rm -rf build pinggu

-include $(shell find build -name '*.d' 2>/dev/null)
