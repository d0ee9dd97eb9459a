# SPDX-License-Identifier: GPL-2.0-or-later
# usernet - build, test, install. Run ./configure first, or let `make` do it.
#   make            build usernetd, plugins and tools into build/
#   make check      deps, an ASan/UBSan build in build/san (and the optimised
#                   one in build/, for hostile.sh's memory bound), unit and e2e tests
#   make run        deps, build, run usernetd with its default network
#   make deps       install build and test packages (apt-get, as root)
#   make bench      deps and bench-deps, the optimised build, bench/run.sh
#                   (never part of make check; see bench/run.sh)
#   make fuzz       clang and libFuzzer harnesses (tests/fuzz/) in build/fuzz,
#                   each run FUZZ_SECONDS (default 60); make check replays
#                   their regression and seed inputs
#   make install    binaries, plugins, man pages under PREFIX

VERSION = 0.1.0

ifneq ($(wildcard config.mk),)
include config.mk
endif

BUILD ?= build
PREFIX ?= /usr/local
SANITIZE ?= 0
PLUGIN_DIR = $(PREFIX)/lib/usernet/plugins

ifeq ($(SANITIZE),1)
SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
	    -fno-sanitize-recover=undefined
endif

WARN = -Wall -Wextra -Wno-unused-parameter -Wshadow -Wstrict-prototypes \
       -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
CFLAGS_ALL = -std=gnu11 -O2 -g $(WARN) -Iinclude -Ibackend $(DEPS_CFLAGS) \
	     $(SAN_FLAGS) -DUN_VERSION='"$(VERSION)"' \
	     -DUN_PLUGIN_DIR='"$(PLUGIN_DIR)"' -D_GNU_SOURCE $(USER_CFLAGS)
LDFLAGS_ALL = $(SAN_FLAGS) $(USER_LDFLAGS)

CORE_SRCS := $(filter-out backend/main.c,$(wildcard backend/*.c))
CORE_OBJS := $(CORE_SRCS:%.c=$(BUILD)/%.o)
CORE_LIB := $(BUILD)/libusernet-core.a
PLUGINS := $(patsubst plugins/%.c,$(BUILD)/plugins/%.so,$(wildcard plugins/*.c))
TOOLS := $(patsubst tools/%.c,$(BUILD)/%,$(wildcard tools/*.c))
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
HEADERS := $(wildcard include/usernet/*.h backend/*.h tests/unit/*.h)
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REPLAYS := $(FUZZ_TARGETS:%=$(BUILD)/tests/test_fuzz_%)
FUZZ_HEADERS := $(wildcard tests/fuzz/*.h)
FUZZ_SECONDS ?= 60
FUZZ_BUILD = build/fuzz

.PHONY: all build check run deps install clean unit-tests configured bench bench-deps \
	fuzz fuzz-build

all: configured
	@$(MAKE) --no-print-directory build

configured:
	@test -f config.mk || ./configure

build: $(BUILD)/usernetd $(PLUGINS) $(TOOLS) $(UNIT_TESTS) $(FUZZ_REPLAYS)

$(BUILD)/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -fPIC -c $< -o $@

$(CORE_LIB): $(CORE_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/usernetd: $(BUILD)/backend/main.o $(CORE_LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $< -Wl,--whole-archive $(CORE_LIB) \
		-Wl,--no-whole-archive $(DEPS_LIBS) -rdynamic

$(BUILD)/plugins/%.so: $(BUILD)/plugins/%.o
	$(CC) $(LDFLAGS_ALL) -shared -o $@ $<

$(BUILD)/%: $(BUILD)/tools/%.o $(CORE_LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(DEPS_LIBS)

# Whole archive: a test that loads the plugins (test_fwd) must offer them
# every backend symbol, as usernetd does.
$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $< -Wl,--whole-archive $(CORE_LIB) \
		-Wl,--no-whole-archive $(DEPS_LIBS) $(CMOCKA_LIBS)

# A fuzz harness with a main() that replays inputs (tests/fuzz/replay_main.c):
# run by tests/run.sh like a unit test.
FUZZ_DEFS = -Itests/fuzz -DFUZZ_TARGET='"$*"' -DFUZZ_TOP='"$(CURDIR)"' \
	    -DFUZZ_PLUGIN_DIR='"$(abspath $(BUILD))/plugins"'
$(BUILD)/tests/test_fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay_main.c \
		$(FUZZ_HEADERS) $(HEADERS) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(FUZZ_DEFS) $(LDFLAGS_ALL) -o $@ $< \
		tests/fuzz/replay_main.c -Wl,--whole-archive $(CORE_LIB) \
		-Wl,--no-whole-archive $(DEPS_LIBS)

# The libFuzzer build: everything with clang, coverage-instrumented.
fuzz-build: $(FUZZ_TARGETS:%=$(BUILD)/fuzzers/fuzz_%) $(PLUGINS)

$(BUILD)/fuzzers/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_HEADERS) $(HEADERS) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(FUZZ_DEFS) -fsanitize=fuzzer $(LDFLAGS_ALL) -o $@ $< \
		-Wl,--whole-archive $(CORE_LIB) -Wl,--no-whole-archive $(DEPS_LIBS)

fuzz:
	@sh scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory configured
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang SANITIZE=1 \
		USER_CFLAGS=-fsanitize=fuzzer-no-link fuzz-build
	@sh tests/fuzz/run_fuzzers.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

deps:
	@sh scripts/deps.sh

check: deps
	@$(MAKE) --no-print-directory configured
	@$(MAKE) --no-print-directory build
	@$(MAKE) --no-print-directory SANITIZE=1 BUILD=build/san build
	@sh tests/run.sh build/san

bench-deps:
	@sh scripts/deps.sh bench

bench: deps bench-deps
	@$(MAKE) --no-print-directory all
	@bash bench/run.sh $(BUILD)

run: deps
	@$(MAKE) --no-print-directory all
	USERNET_PLUGIN_PATH=$(BUILD)/plugins $(BUILD)/usernetd $(ARGS)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PLUGIN_DIR) \
		$(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/lib/systemd/user
	install -m 0755 $(BUILD)/usernetd $(TOOLS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(PLUGINS) $(DESTDIR)$(PLUGIN_DIR)/
	install -m 0644 $(wildcard doc/*.1) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 $(wildcard doc/*.5) $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 0644 $(wildcard doc/*.8) $(DESTDIR)$(PREFIX)/share/man/man8/
	sed 's|@PREFIX@|$(PREFIX)|g' systemd/usernetd.service.in \
		>$(DESTDIR)$(PREFIX)/lib/systemd/user/usernetd.service
	chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/user/usernetd.service

clean:
	rm -rf build

# Keep intermediate objects (make would delete the plugin and test .o files).
.SECONDARY:
