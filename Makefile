# SPDX-License-Identifier: GPL-2.0-or-later
# usernet - build, test, install. Run ./configure first, or let `make` do it.
#   make            build usernetd, plugins and tools into build/
#   make check      deps, an ASan/UBSan build in build/san, unit and e2e tests
#   make run        deps, build, run usernetd with its default network
#   make deps       install build and test packages (apt-get, as root)
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

.PHONY: all build check run deps install clean unit-tests configured

all: configured
	@$(MAKE) --no-print-directory build

configured:
	@test -f config.mk || ./configure

build: $(BUILD)/usernetd $(PLUGINS) $(TOOLS) $(UNIT_TESTS)

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

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(CORE_LIB) $(DEPS_LIBS) $(CMOCKA_LIBS)

deps:
	@sh scripts/deps.sh

check: deps
	@$(MAKE) --no-print-directory configured
	@$(MAKE) --no-print-directory SANITIZE=1 BUILD=build/san build
	@sh tests/run.sh build/san

run: deps
	@$(MAKE) --no-print-directory all
	USERNET_PLUGIN_PATH=$(BUILD)/plugins $(BUILD)/usernetd $(ARGS)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PLUGIN_DIR) \
		$(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(BUILD)/usernetd $(TOOLS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(PLUGINS) $(DESTDIR)$(PLUGIN_DIR)/
	install -m 0644 doc/usernetd.8 $(DESTDIR)$(PREFIX)/share/man/man8/

clean:
	rm -rf build

# Keep intermediate objects (make would delete the plugin and test .o files).
.SECONDARY:
