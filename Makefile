# SPDX-License-Identifier: GPL-2.0-only
#
# quell - plain Makefile in the libbpf-bootstrap pattern:
#   vmlinux.h (from the running kernel's BTF) -> clang -target bpf -> .bpf.o
#   -> bpftool gen skeleton -> .skel.h, which only src/quelld/bpf_loader.c includes.
#
# Sources are found by directory, so adding a file needs no Makefile edit:
#   src/common, collectors, src/policy, src/history -> libquell.a (every binary; no libbpf,
#                                   no ncurses), the layers in that order (docs/hacking.md)
#   src/quelld/*.c but main.c      -> libquelld.a  (daemon; links libbpf)
#   src/quellctl/*.c, top/*.c      -> quellctl, quelltop
#   tests/unit/test_*.c            -> one cmocka binary each
#   src/pam/pam_quell.c            -> pam_quell.so
#
# make            build everything (quiet; V=1 shows commands)
# make deps       apt-get install what is missing (Debian 12)
# make test       unit tests under ASan/UBSan, then (as root) integration tests
# make test-vm    the integration suite inside a pure cgroup-v2 qemu guest
# make bench      tests/bench
# make install / uninstall   PREFIX, DESTDIR
# make deb        build/quell_VERSION_ARCH.deb (docs/debian/README.md)

PREFIX		?= /usr/local
SYSCONFDIR	?= /etc
DESTDIR		?=
BUILD		?= build
V		?= 0
SANITIZE	?= 0

CC		?= cc
CLANG		?= clang
LLVM_STRIP	?= llvm-strip
BPFTOOL		?= bpftool
PKG_CONFIG	?= pkg-config

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

DEB_DEPS := clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev libncurses-dev \
	librrd-dev rrdtool libcmocka-dev libjansson-dev libinih-dev libmicrohttpd-dev \
	libsystemd-dev libpam0g-dev pkg-config make gcc stress-ng fio tmux rt-tests \
	util-linux procps passwd prometheus pamtester python3 jq dpkg-dev lintian xxd chromium \
	nginx-light php8.2-fpm wrk curl

WARN	:= -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wstrict-prototypes
CFLAGS	?= -O2 -g
CFLAGS	+= $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude -fPIC -MMD -MP
ifeq ($(SANITIZE),1)
CFLAGS	+= -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS	+= -fsanitize=address,undefined
endif

LIBS_COMMON	:= $(shell $(PKG_CONFIG) --libs jansson inih librrd 2>/dev/null || echo -ljansson -linih -lrrd) -lm
LIBS_DAEMON	:= $(shell $(PKG_CONFIG) --libs libbpf libmicrohttpd libsystemd 2>/dev/null || echo -lbpf -lmicrohttpd -lsystemd) -lelf -lz
LIBS_TOP	:= $(shell $(PKG_CONFIG) --libs ncursesw 2>/dev/null || echo -lncursesw -ltinfo)
LIBS_TEST	:= $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)

LIB_SRCS	:= $(sort $(wildcard src/common/*.c collectors/*.c src/policy/*.c src/history/*.c))
QUELLD_SRCS	:= $(sort $(filter-out src/quelld/main.c,$(wildcard src/quelld/*.c)))
CTL_SRCS	:= $(sort $(wildcard src/quellctl/*.c))
TOP_SRCS	:= $(sort $(wildcard top/*.c))
PAM_SRCS	:= $(sort $(wildcard src/pam/*.c))
UNIT_SRCS	:= $(sort $(wildcard tests/unit/test_*.c))
BPF_SRCS	:= $(sort $(wildcard bpf/*.bpf.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIB_OBJS	:= $(call obj,$(LIB_SRCS))
QUELLD_OBJS	:= $(call obj,$(QUELLD_SRCS))
CTL_OBJS	:= $(call obj,$(CTL_SRCS))
TOP_OBJS	:= $(call obj,$(TOP_SRCS))
PAM_OBJS	:= $(call obj,$(PAM_SRCS))
SKELS		:= $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
UNIT_BINS	:= $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

BINS := $(BUILD)/quelld $(BUILD)/quellctl $(BUILD)/quelltop
PAM  := $(if $(wildcard src/pam/pam_quell.c),$(BUILD)/pam_quell.so)

.PHONY: all deps test unit integration test-vm bench install uninstall deb clean
.DELETE_ON_ERROR:
# keep build/quell.bpf.o: tests/vm and bench load it by name
.SECONDARY:

all: $(BINS) $(PAM)

deps:
	@missing=$$(for p in $(DEB_DEPS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "  DEPS     installing:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else echo "  DEPS     all present"; fi

# --- BPF -------------------------------------------------------------------

$(BUILD)/vmlinux.h:
	$(call msg,VMLINUX,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(BUILD)/vmlinux.h include/quell_bpf.h $(wildcard bpf/*.h)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(BUILD) -Iinclude -Ibpf \
		-Wall -Werror -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# --- userspace ------------------------------------------------------------

$(BUILD)/obj/%.o: %.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(LAYER_INC) -c $< -o $@

# An object without its .d (built before -MMD, or the .d deleted) has unknown
# header dependencies: it is rebuilt. A build tree from before issue 13 kept
# a main.o compiled against an older struct daemon, and quelld exited at
# start. (A pattern rule for the .d would not do: .SECONDARY makes a missing
# one not count.)
ALL_DEPS := $(patsubst %.o,%.d,$(LIB_OBJS) $(QUELLD_OBJS) $(BUILD)/obj/src/quelld/main.o \
	    $(CTL_OBJS) $(TOP_OBJS) $(PAM_OBJS))
$(patsubst %.d,%.o,$(filter-out $(wildcard $(ALL_DEPS)),$(ALL_DEPS))): FORCE
.PHONY: FORCE
FORCE:

# Each directory sees include/ (what crosses a boundary) and its own headers,
# never a program above it: the compiler keeps the layers (docs/hacking.md;
# tests/check-layers.sh checks what -I cannot, the order among include/ headers).
$(BUILD)/obj/src/quelld/%.o: LAYER_INC := -Isrc/quelld
$(BUILD)/obj/src/quellctl/%.o: LAYER_INC := -Isrc/quellctl
$(BUILD)/obj/src/pam/%.o: LAYER_INC := -Isrc/pam
$(BUILD)/obj/top/%.o: LAYER_INC := -Itop
$(BUILD)/obj/collectors/%.o: LAYER_INC := -Icollectors
$(BUILD)/obj/src/quelld/bpf_loader.o: LAYER_INC := -Isrc/quelld -I$(BUILD)
$(BUILD)/obj/src/quelld/web.o: LAYER_INC := -Isrc/quelld -I$(BUILD)

# only the loader sees the skeleton
$(BUILD)/obj/src/quelld/bpf_loader.o: $(SKELS)

# the web view's page and script, compiled into quelld (src/quelld/web.c says why)
WEB_ASSETS	:= src/quelld/web/index.html src/quelld/web/app.js
$(BUILD)/web_assets.h: $(WEB_ASSETS)
	$(call msg,XXD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)(cd src/quelld/web && for f in $(notdir $(WEB_ASSETS)); do xxd -i $$f; done) > $@.tmp
	$(Q)sed -i 's/^unsigned char/static const unsigned char/; s/^unsigned int/static const unsigned int/' $@.tmp
	$(Q)mv $@.tmp $@
$(BUILD)/obj/src/quelld/web.o: $(BUILD)/web_assets.h

$(BUILD)/libquell.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/libquelld.a: $(QUELLD_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/quelld: $(BUILD)/obj/src/quelld/main.o $(BUILD)/libquelld.a $(BUILD)/libquell.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LIBS_DAEMON) $(LIBS_COMMON)

$(BUILD)/quellctl: $(CTL_OBJS) $(BUILD)/libquell.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LIBS_COMMON)

$(BUILD)/quelltop: $(TOP_OBJS) $(BUILD)/libquell.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LIBS_TOP) $(LIBS_COMMON)

$(BUILD)/pam_quell.so: $(PAM_OBJS) $(BUILD)/libquell.a
	$(call msg,LINK,$@)
	$(Q)$(CC) -shared $(LDFLAGS) -Wl,--exclude-libs,ALL $^ -o $@ -lpam $(LIBS_COMMON)

# unit tests link everything but the mains; quelltop's pieces are in
# libquelltop.a (top/ without main.c) so its logic is testable too
TOP_LIB_OBJS := $(call obj,$(filter-out top/main.c,$(TOP_SRCS)))
CTL_LIB_OBJS := $(call obj,$(filter-out src/quellctl/main.c,$(CTL_SRCS)))
PAM_LIB_OBJS := $(call obj,$(filter-out src/pam/pam_quell.c,$(PAM_SRCS)))
TEST_INC := -Itests/unit -Isrc/quelld -Isrc/quellctl -Isrc/pam -Itop -Icollectors -I$(BUILD)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libquelld.a $(BUILD)/libquell.a $(TOP_LIB_OBJS) $(CTL_LIB_OBJS) $(PAM_LIB_OBJS) tests/unit/fixture.h
	$(call msg,TEST-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(TEST_INC) $(LDFLAGS) $< $(TOP_LIB_OBJS) $(CTL_LIB_OBJS) $(PAM_LIB_OBJS) \
		$(BUILD)/libquelld.a $(BUILD)/libquell.a -o $@ \
		$(LIBS_TEST) $(LIBS_TOP) $(LIBS_DAEMON) $(LIBS_COMMON)

# --- tests ----------------------------------------------------------------

unit: $(UNIT_BINS)
	@tests/run-unit.sh $(UNIT_BINS)

test:
	$(Q)tests/check-layers.sh --strict .
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/san SANITIZE=1 unit
	$(Q)if [ "$$(id -u)" = 0 ]; then tests/integration/run.sh $(BUILD); \
	else echo "integration: not root, not run (not counted as passed)"; fi

integration: all
	$(Q)tests/integration/run.sh $(BUILD)

test-vm: all
	$(Q)tests/vm/run.sh $(BUILD)

bench: all
	$(Q)tests/bench/run.sh $(BUILD)

# --- install --------------------------------------------------------------

# PAM modules: Debian's libpam looks in /lib/<triplet>/security; a module
# under $(PREFIX)/lib/security is named by absolute path in /etc/pam.d.
PAMDIR		?= $(PREFIX)/lib/security
UNITDIR		?= $(PREFIX)/lib/systemd/system
MANDIR		?= $(PREFIX)/share/man
MANPAGES	:= $(wildcard docs/man/*.[1-8])

install: all
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin
	$(Q)install -m 0755 $(BUILD)/quelld $(DESTDIR)$(PREFIX)/sbin/quelld
	$(Q)install -m 0755 $(BUILD)/quellctl $(DESTDIR)$(PREFIX)/sbin/quellctl
	$(Q)install -m 0755 $(BUILD)/quelltop $(DESTDIR)$(PREFIX)/bin/quelltop
	$(Q)for m in $(MANPAGES); do s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	$(Q)install -d $(DESTDIR)$(SYSCONFDIR)/quell
	$(Q)if [ -f docs/quell.conf ] && [ ! -f $(DESTDIR)$(SYSCONFDIR)/quell/quell.conf ]; then \
		install -m 0644 docs/quell.conf $(DESTDIR)$(SYSCONFDIR)/quell/quell.conf; fi
	$(Q)install -d $(DESTDIR)$(UNITDIR)
	$(Q)sed 's|@SBINDIR@|$(PREFIX)/sbin|g' docs/quelld.service > $(DESTDIR)$(UNITDIR)/quelld.service
	$(Q)chmod 0644 $(DESTDIR)$(UNITDIR)/quelld.service
	$(Q)if [ -n "$(PAM)" ]; then install -d $(DESTDIR)$(PAMDIR); \
		install -m 0644 $(PAM) $(DESTDIR)$(PAMDIR)/pam_quell.so; fi
	$(Q)if [ -z "$(DESTDIR)" ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then \
		systemctl daemon-reload || true; fi

# Removes everything install put there. The configuration goes only if it is
# still the shipped file: an edited one is kept (and said so).
uninstall:
	$(call msg,UNINSTALL,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(DESTDIR)$(PREFIX)/sbin/quelld $(DESTDIR)$(PREFIX)/sbin/quellctl \
		$(DESTDIR)$(PREFIX)/bin/quelltop $(DESTDIR)$(UNITDIR)/quelld.service \
		$(DESTDIR)$(PAMDIR)/pam_quell.so
	$(Q)for m in $(MANPAGES); do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done
	$(Q)c=$(DESTDIR)$(SYSCONFDIR)/quell/quell.conf; \
	if [ -f $$c ] && cmp -s $$c docs/quell.conf; then rm -f $$c; \
	elif [ -f $$c ]; then echo "  kept $$c (edited configuration)"; fi
	$(Q)rmdir $(DESTDIR)$(SYSCONFDIR)/quell 2>/dev/null || true

# --- Debian package -------------------------------------------------------

# The staged `make install` tree, laid out as Debian does it (binaries in
# /usr, the unit in /lib/systemd/system, the PAM module beside libpam's own
# in /lib/<multiarch>/security), made into a .deb by docs/debian/mkdeb.sh.
# Never from a SANITIZE=1 build: ASan binaries do not belong in a package.
DEB_VERSION	:= $(shell sed -n 's/^\#define QUELL_VERSION "\(.*\)"/\1/p' src/quelld/main.c)
DEB_ARCH	:= $(shell dpkg --print-architecture 2>/dev/null)
DEB_MULTIARCH	:= $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null)
DEB_STAGE	:= $(BUILD)/deb/root
DEB		:= $(BUILD)/quell_$(DEB_VERSION)_$(DEB_ARCH).deb

deb: all
	$(Q)if [ "$(SANITIZE)" = 1 ]; then echo "make deb: not from a SANITIZE=1 build" >&2; exit 1; fi
	$(Q)rm -rf $(BUILD)/deb $(DEB)
	$(Q)$(MAKE) --no-print-directory install DESTDIR=$(abspath $(DEB_STAGE)) PREFIX=/usr \
		SYSCONFDIR=/etc UNITDIR=/lib/systemd/system PAMDIR=/lib/$(DEB_MULTIARCH)/security
	$(call msg,DEB,$(DEB))
	$(Q)docs/debian/mkdeb.sh $(DEB_STAGE) $(DEB_VERSION) $(DEB_ARCH) $(DEB) >/dev/null

clean:
	rm -rf build

# generated by -MMD: each object and test depends on the headers it includes
-include $(wildcard $(BUILD)/obj/*/*.d $(BUILD)/obj/*/*/*.d $(BUILD)/tests/*.d)
