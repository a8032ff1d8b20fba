# pam_phonemfa — build, test, demo and install.
#   make            build build/pam_phonemfa.so
#   make demo       install what is missing, then a real PAM login against a simulated phone network
#                   (PROVIDER=twilio: against the simulated Twilio Verify)
#   make check      install what is missing, then every test (ASan/UBSan, fuzzers, static analysis,
#                   valgrind, PAM level with gcc and clang, demo, real clients)
#   make check-long the crash matrix 1,000 times and the fuzzers a minute each
#   make fuzz       every fuzzer for FUZZ_SECONDS (default 300) each
#   make coverage   line coverage of the core (gcov)
#   make install    DESTDIR=... PREFIX=... PAMDIR=...
#   make pot        regenerate pam_phonemfa/po/pam_phonemfa.pot and merge it into every .po
#   make check-po   the catalogues are up to date with the sources and complete

VERSION    := 0.1.0
PREFIX     ?= /usr/local
DESTDIR    ?=
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= /etc/systemd/system
DOCDIR     ?= $(PREFIX)/share/doc/pam_phonemfa
LOCALEDIR  ?= $(PREFIX)/share/locale
PYTHON     ?= /usr/bin/python3
PKGS       := libcurl jansson libconfig ldap libcrypto pam
# Evaluated when used, so `make deps` can install pkg-config first.
PAMDIR      = $(shell pkg-config --variable=libdir pam)/security

CC      ?= cc
BUILD   := build
CHECK_TMP = $(abspath $(BUILD))/check-tmp
SRC     := pam_phonemfa

WARNINGS := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wvla -Wundef -Wcast-align -Wwrite-strings -Wnull-dereference
HARDEN   := -fstack-protector-strong -fstack-clash-protection -fcf-protection \
            -D_FORTIFY_SOURCE=2 -fPIC -fno-strict-aliasing
BASE_CFLAGS = -std=c11 -D_GNU_SOURCE -DPHONEMFA_VERSION='"$(VERSION)"' -DPHONEMFA_LOCALEDIR='"$(LOCALEDIR)"' -g $(WARNINGS) \
              -I$(SRC) -I$(SRC)/directory $(shell pkg-config --cflags $(PKGS))
CFLAGS_RELEASE = $(BASE_CFLAGS) -O2 $(HARDEN) -fvisibility=hidden
CFLAGS_ASAN    = $(BASE_CFLAGS) -O1 -fPIC -fno-omit-frame-pointer -fsanitize=address,undefined \
                 -fno-sanitize-recover=all
LDHARDEN := -Wl,-z,relro,-z,now -Wl,-z,noexecstack -Wl,--as-needed
LIBS      = $(shell pkg-config --libs libcurl jansson libconfig ldap libcrypto) -pthread

# make coverage builds everything once more, instrumented for gcov.
ifeq ($(COVERAGE),1)
CFLAGS_RELEASE = $(BASE_CFLAGS) -O0 -fPIC -fvisibility=hidden --coverage
CFLAGS_ASAN    = $(BASE_CFLAGS) -O0 -fPIC --coverage
LDHARDEN       := --coverage
endif

CORE := utf8 i18n i18n_load input_digits env_language secure_mem log login_outcome wire login_wire safe_file user_name url_encode nss_lookup phone_number config config_directory \
        phone_record phone_store \
        record_dir user_state policy http_client json_answer native_protocol native_provider twilio_protocol twilio_provider verify_client \
        menu auth_flow directory/phone_directory directory/directory_ldap directory/entra_answers directory/entra_assertion \
        directory/phone_details \
        directory/directory_entra
# The country table (phone_number's trunk prefixes, the setup country picker).
CORE += country_table country
CORE_OBJ      := $(CORE:%=$(BUILD)/obj/%.o)
CORE_OBJ_ASAN := $(CORE:%=$(BUILD)/asan/obj/%.o)
# The translations (pam_phonemfa/po): one .mo per shipped language, read by
# phonemfa's own reader (i18n.c) from $(LOCALEDIR)/LL/LC_MESSAGES.
PODIR   := $(SRC)/po
# LINGUAS without its comment lines.
LINGUAS := $(shell sed -e '/^[[:space:]]*[^[:space:][:alnum:]]/d' $(PODIR)/LINGUAS)
MO      := $(LINGUAS:%=$(BUILD)/locale/%/LC_MESSAGES/pam_phonemfa.mo)
# The built-in paths are compiled in: a build for another PREFIX (make
# install PREFIX=/usr after a plain make) must not keep the old ones. The
# stamp changes only when they do, and every object depends on it.
PATHS_STAMP   := $(BUILD)/paths.stamp
HEADERS       := $(wildcard $(SRC)/*.h $(SRC)/daemon/*.h $(SRC)/directory/*.h) $(PATHS_STAMP)
# The module links libpam and libc only: these few libc-only files of the
# core, never the library.
MODULE_OBJ    := $(BUILD)/obj/pam_module.o $(BUILD)/obj/wire.o $(BUILD)/obj/daemon_client.o $(BUILD)/obj/login_outcome.o \
                 $(BUILD)/obj/log.o $(BUILD)/obj/i18n.o $(BUILD)/obj/i18n_load.o $(BUILD)/obj/safe_file.o $(BUILD)/obj/utf8.o
DAEMON        := daemon_main daemon_socket daemon_login daemon_setup setup_worker setup_relay setup_command
DAEMON_OBJ    := $(DAEMON:%=$(BUILD)/obj/daemon/%.o) $(BUILD)/obj/setup_admin.o $(BUILD)/obj/setup_self.o \
                 $(BUILD)/obj/setup_verify.o $(BUILD)/obj/setup_users.o $(BUILD)/obj/setup_usage.o \
                 $(BUILD)/obj/setup_country.o $(BUILD)/obj/setup_text.o $(BUILD)/obj/setup_language.o

UNIT := test_utf8 test_i18n test_wire test_phone_number test_config test_phone_record test_phone_store test_native_protocol \
        test_twilio_protocol test_policy test_menu test_user_name test_nss_lookup test_log test_safe_file test_crash test_verify_code \
        test_country test_setup_country test_input_digits test_env_language
UNIT_BIN      := $(UNIT:%=$(BUILD)/asan/%)

# libFuzzer harnesses (tests/fuzz/): every parser of untrusted input.
FUZZ        := mo language_tag phone_number config phone_record user_state native_answers twilio_answers menu user_name \
               log_sanitize policy wire entra_answers phone_details country
FUZZ_CC     ?= clang
FUZZ_SECONDS ?= 300
FUZZ_CHECK_SECONDS ?= 8
CFLAGS_FUZZ  = -std=c11 -D_GNU_SOURCE -DPHONEMFA_VERSION='"$(VERSION)"' -g -O1 -fno-omit-frame-pointer \
               $(WARNINGS) -I$(SRC) -I$(SRC)/directory $(shell pkg-config --cflags $(PKGS)) -fsanitize=address,undefined -fno-sanitize-recover=all
CORE_OBJ_FUZZ := $(CORE:%=$(BUILD)/fuzz/obj/%.o)
FUZZ_BIN      := $(FUZZ:%=$(BUILD)/fuzz/fuzz_%)

.PHONY: all deps check check-long check-unit check-fuzz fuzz check-static check-clang coverage check-exports check-docs check-completion check-e2e check-pam check-pam-valgrind check-demo demo \
        install uninstall deb clean pot check-po bench test-programs

$(PATHS_STAMP): FORCE
	@mkdir -p $(@D)
	@echo 'LOCALEDIR=$(LOCALEDIR)' | cmp -s - $@ || echo 'LOCALEDIR=$(LOCALEDIR)' > $@

.PHONY: FORCE
FORCE:

all: $(BUILD)/pam_phonemfa.so $(BUILD)/phonemfa-setup $(BUILD)/phonemfad $(MO)

# --check: the header, the plural forms and every translation's printf
# conversions against its msgid's (c-format). Untranslated entries are simply
# left out (English); make check-po is what refuses them.
$(BUILD)/locale/%/LC_MESSAGES/pam_phonemfa.mo: $(PODIR)/%.po
	@mkdir -p $(@D)
	msgfmt --check -o $@ $<

$(BUILD)/obj/%.o: $(SRC)/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_RELEASE) -c $< -o $@

$(BUILD)/obj/daemon/%.o: $(SRC)/daemon/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_RELEASE) -I$(SRC) -c $< -o $@

$(BUILD)/asan/obj/%.o: $(SRC)/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ASAN) -c $< -o $@

$(BUILD)/libphonemfa.a: $(CORE_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/pam_phonemfa.so: $(MODULE_OBJ) $(SRC)/pam_phonemfa.map
	$(CC) -shared -o $@ $(MODULE_OBJ) \
	    -Wl,--version-script=$(SRC)/pam_phonemfa.map -Wl,--no-undefined $(LDHARDEN) -lpam

$(BUILD)/phonemfad: $(DAEMON_OBJ) $(BUILD)/libphonemfa.a
	$(CC) -pie -o $@ $(DAEMON_OBJ) $(BUILD)/libphonemfa.a $(LDHARDEN) $(LIBS) -lpam

# phonemfa-setup is an unprivileged client of phonemfad: libc only.
SETUP_OBJ := $(BUILD)/obj/setup_main.o $(BUILD)/obj/setup_terminal.o $(BUILD)/obj/wire.o $(BUILD)/obj/daemon_client.o \
             $(BUILD)/obj/setup_usage.o $(BUILD)/obj/i18n.o $(BUILD)/obj/i18n_load.o $(BUILD)/obj/safe_file.o \
             $(BUILD)/obj/utf8.o \
             $(BUILD)/obj/env_language.o

$(BUILD)/phonemfa-setup: $(SETUP_OBJ)
	$(CC) -pie -o $@ $(SETUP_OBJ) $(LDHARDEN)

$(BUILD)/asan/%: tests/unit/%.c $(CORE_OBJ_ASAN) tests/unit/unit_helpers.h
	$(CC) $(CFLAGS_ASAN) -I$(SRC) -Itests/unit $< $(CORE_OBJ_ASAN) -o $@ $(LIBS) -lcmocka

$(BUILD)/fuzz/obj/%.o: $(SRC)/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CFLAGS_FUZZ) -fsanitize=fuzzer-no-link -c $< -o $@

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_helpers.h $(CORE_OBJ_FUZZ)
	$(FUZZ_CC) $(CFLAGS_FUZZ) -fsanitize=fuzzer -I$(SRC) -Itests/fuzz $< $(CORE_OBJ_FUZZ) -o $@ $(LIBS)

# The country picker with setup_read_line() played by the test.
$(BUILD)/asan/test_setup_country: tests/unit/test_setup_country.c $(BUILD)/asan/obj/setup_country.o $(CORE_OBJ_ASAN) \
                                  tests/unit/unit_helpers.h tests/unit/country_catalogue.h
	$(CC) $(CFLAGS_ASAN) -I$(SRC) -Itests/unit $< $(BUILD)/asan/obj/setup_country.o $(CORE_OBJ_ASAN) -o $@ $(LIBS) -lcmocka

# NSS answers (ERANGE, outages) are faked at link time.
$(BUILD)/asan/test_nss_lookup: tests/unit/test_nss_lookup.c $(CORE_OBJ_ASAN) tests/unit/unit_helpers.h
	$(CC) $(CFLAGS_ASAN) -I$(SRC) -Itests/unit $< $(CORE_OBJ_ASAN) -o $@ $(LIBS) -lcmocka \
	    -Wl,--wrap=getpwnam_r,--wrap=getgrnam_r,--wrap=getgrouplist

# The scripted PAM client exports its syslog() so it can capture the
# module's log lines without LD_PRELOAD (which valgrind would fight).
$(BUILD)/tests/pamclient: tests/pam/pamclient.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -O1 -rdynamic $< -o $@ -lpam $(shell pkg-config --libs jansson)

$(BUILD)/tests/pam_test_authtok.so: tests/pam/pam_test_authtok.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -O1 -fPIC -shared $< -o $@ -lpam

# A test NSS module nss_wrapper loads: getpwnam_r that ignores case.
$(BUILD)/tests/libnss_casefold.so: tests/pam/nss_casefold.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -O1 -fPIC -shared $< -o $@

PAM_TEST_PROGRAMS := $(BUILD)/tests/pamclient $(BUILD)/tests/pam_test_authtok.so \
                     $(BUILD)/tests/libnss_casefold.so

test-programs: all $(UNIT_BIN) $(PAM_TEST_PROGRAMS) $(FUZZ_BIN)

deps:
	@sh tests/tools/install-deps.sh

check:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory test-programs
	@# Every scratch file of the suites goes to one private TMPDIR that must
	@# be empty at the end: a run leaves nothing behind on the host. Sticky and
	@# writable by all, as /tmp is: clients run as other users write there too
	@# (valgrind's own files).
	@rm -rf $(CHECK_TMP) && mkdir -p $(CHECK_TMP) && chmod 1777 $(CHECK_TMP)
	@TMPDIR=$(CHECK_TMP) $(MAKE) --no-print-directory check-po check-unit check-fuzz check-exports check-docs check-completion check-static \
	    check-pam check-pam-valgrind check-clang check-demo check-e2e
	@sh tests/tools/check-leftovers.sh $(CHECK_TMP)
	@echo "make check: all suites passed"

check-unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t (ASan+UBSan)"; \
	    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 $$t; done

# The long variants: the crash matrix 1,000 times per writer, and every
# fuzzer for a minute.
check-long: test-programs
	CRASH_ROUNDS=1000 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 $(BUILD)/asan/test_crash
	@FUZZ_SECONDS=60 BUILD=$(BUILD) sh tests/fuzz/run.sh $(FUZZ)

# Every harness over its committed corpus, then a short bounded run; `make
# fuzz` runs them long (FUZZ_SECONDS each). New inputs go to build/, never
# into the committed corpus.
check-fuzz: $(FUZZ_BIN)
	@FUZZ_SECONDS=$(FUZZ_CHECK_SECONDS) BUILD=$(BUILD) sh tests/fuzz/run.sh $(FUZZ)

fuzz: $(FUZZ_BIN)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) BUILD=$(BUILD) sh tests/fuzz/run.sh $(FUZZ)

# Static analysis of every source: cppcheck, clang's analyzer (scan-build)
# and gcc -fanalyzer. Any report fails; tests/tools/static-analysis.supp
# lists the few that are not defects, each with its reason.
ANALYZER_FLAGS = -std=c11 -D_GNU_SOURCE -DPHONEMFA_VERSION='"$(VERSION)"' -O1 $(WARNINGS) \
                 $(shell pkg-config --cflags $(PKGS)) -fanalyzer -Werror
check-static:
	cppcheck --enable=warning,performance,portability --std=c11 -D_GNU_SOURCE -DPHONEMFA_VERSION='"$(VERSION)"' \
	    -I $(SRC) -I $(SRC)/directory --quiet --suppressions-list=tests/tools/static-analysis.supp --error-exitcode=1 \
	    --template='{file}:{line}: {severity} {id}: {message}' $(SRC)/
	@mkdir -p $(BUILD)/analyzer
	@set -e; for f in $(SRC)/*.c $(SRC)/daemon/*.c $(SRC)/directory/*.c; do \
	    gcc $(ANALYZER_FLAGS) -I$(SRC) -I$(SRC)/directory -c $$f -o $(BUILD)/analyzer/$$(basename $$f .c).o; done
	rm -rf $(BUILD)/scan-build $(BUILD)/scan-build-reports
	scan-build -o $(BUILD)/scan-build-reports --status-bugs --use-cc=clang \
	    $(MAKE) --no-print-directory BUILD=$(BUILD)/scan-build CC=clang all
	@echo "check-static (cppcheck, gcc -fanalyzer, scan-build):"; echo "check-static: 3 passed, 0 failed"

# The module, phonemfa-setup, the unit tests (ASan+UBSan) and the PAM suite
# built with clang and run as well.
check-clang:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/clang CC=clang all $(UNIT:%=$(BUILD)/clang/asan/%) \
	    $(BUILD)/clang/tests/pamclient $(BUILD)/clang/tests/pam_test_authtok.so $(BUILD)/clang/tests/libnss_casefold.so
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/clang CC=clang check-unit
	cd tests && PHONEMFA_BUILD=$(abspath $(BUILD))/clang $(PYTHON) -m pytest -q -p no:cacheprovider pam

# Line coverage of the core library by the unit tests and the PAM suite
# (gcov): every file, and the total, which is to stay above COVERAGE_MIN.
COVERAGE_MIN ?= 90
coverage:
	rm -rf $(BUILD)/coverage
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/coverage CC=gcc COVERAGE=1 all $(UNIT:%=$(BUILD)/coverage/asan/%) $(BUILD)/coverage/tests/pamclient \
	    $(BUILD)/coverage/tests/pam_test_authtok.so $(BUILD)/coverage/tests/libnss_casefold.so
	@set -e; for t in $(UNIT:%=$(BUILD)/coverage/asan/%); do $$t > /dev/null 2>&1 || { echo "$$t failed"; exit 1; }; done
	cd tests && PHONEMFA_BUILD=$(abspath $(BUILD))/coverage $(PYTHON) -m pytest -q -p no:cacheprovider pam
	$(PYTHON) tests/tools/coverage.py --minimum $(COVERAGE_MIN) $(BUILD)/coverage/obj $(BUILD)/coverage/asan/obj \
	    -- $(CORE:%=$(SRC)/%.c)

check-exports: $(BUILD)/pam_phonemfa.so $(BUILD)/phonemfa-setup
	@sh tests/tools/check-exports.sh $(BUILD)/pam_phonemfa.so $(BUILD)/phonemfa-setup

check-docs:
	@$(PYTHON) tests/tools/check_docs.py

# The bash completion: loads, is registered, offers what phonemfa-setup takes.
check-completion:
	$(PYTHON) -m pytest -q -p no:cacheprovider tests/tools/test_completion.py

# The fakes' own contract tests first: a PAM test is only as good as the
# fake (or fixture) it talks to.
check-pam: all $(PAM_TEST_PROGRAMS)
	cd tests && $(PYTHON) -m pytest -q -p no:cacheprovider fake_service/test_graph_fake.py \
	    fake_service/test_slapd_fixture.py
	cd tests && $(PYTHON) -m pytest -q -p no:cacheprovider pam

check-pam-valgrind: all $(PAM_TEST_PROGRAMS)
	cd tests && PHONEMFA_VALGRIND=1 $(PYTHON) -m pytest -q -p no:cacheprovider pam

# Real sshd, ssh, paramiko, sudo, su and login in a namespace sandbox (root).
check-e2e: all deb
	$(PYTHON) -m pytest -q -p no:cacheprovider tests/e2e/test_host_manifest.py
	PYTHON=$(PYTHON) tests/e2e/run-sandboxed

check-demo: all $(PAM_TEST_PROGRAMS)
	$(PYTHON) tests/demo/demo.py --scripted

demo:
	@sh tests/tools/install-deps.sh demo
	@$(MAKE) --no-print-directory all $(BUILD)/tests/pamclient
	@$(PYTHON) tests/demo/demo.py $(if $(PROVIDER),--provider $(PROVIDER))

$(BUILD)/tests/pam_load_bench: tests/tools/pam_load_bench.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -O2 $< -o $@ -lpam

bench: all $(BUILD)/tests/pamclient $(BUILD)/tests/pam_load_bench
	$(PYTHON) tests/demo/bench.py

# The template pam_phonemfa/po/pam_phonemfa.pot (committed) from every source
# (pam_phonemfa/*.c, daemon/*.c, directory/*.c), rewritten only when a string
# changed, then merged into each shipped LL.po with msgmerge
# --no-fuzzy-matching: a new or changed string arrives untranslated, never
# with a guessed "fuzzy" translation of a similar one (the xgettext keywords,
# options and the reasons are in tests/tools/check_po.py).
pot:
	$(PYTHON) tests/tools/check_po.py --update --version $(VERSION) $(SRC) $(PODIR)

# Fails, naming the entries, when the committed .pot is not what make pot
# makes from the sources, or a shipped .po lacks an entry or has a fuzzy,
# untranslated or obsolete one, fails msgfmt --check, or has a charset or
# Plural-Forms phonemfa's reader refuses. Its own test first: that it fails.
check-po:
	$(PYTHON) -m pytest -q -p no:cacheprovider tests/tools/test_po_check.py
	$(PYTHON) tests/tools/check_po.py --version $(VERSION) $(SRC) $(PODIR)

install: all
	install -d $(DESTDIR)$(PAMDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(DOCDIR)/pam.d $(DESTDIR)/usr/share/pam-configs
	install -m 0644 $(BUILD)/pam_phonemfa.so $(DESTDIR)$(PAMDIR)/pam_phonemfa.so
	set -e; for ll in $(LINGUAS); do install -d $(DESTDIR)$(LOCALEDIR)/$$ll/LC_MESSAGES; \
	    install -m 0644 $(BUILD)/locale/$$ll/LC_MESSAGES/pam_phonemfa.mo $(DESTDIR)$(LOCALEDIR)/$$ll/LC_MESSAGES/pam_phonemfa.mo; done
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BUILD)/phonemfa-setup $(DESTDIR)$(PREFIX)/bin/phonemfa-setup
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(SYSTEMDUNITDIR)
	install -m 0755 $(BUILD)/phonemfad $(DESTDIR)$(PREFIX)/sbin/phonemfad
	@# The units name /usr/local/sbin/phonemfad: as they are for the default PREFIX.
	sed 's|/usr/local/sbin/|$(PREFIX)/sbin/|g' conf/systemd/phonemfad.service > $(DESTDIR)$(SYSTEMDUNITDIR)/phonemfad.service
	install -m 0644 conf/systemd/phonemfad.socket $(DESTDIR)$(SYSTEMDUNITDIR)/phonemfad.socket
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/phonemfad.service
	install -m 0644 docs/phonemfad.8 $(DESTDIR)$(MANDIR)/man8/phonemfad.8
	install -m 0644 docs/phonemfa-setup.8 $(DESTDIR)$(MANDIR)/man8/phonemfa-setup.8
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0644 conf/bash-completion/phonemfa-setup \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions/phonemfa-setup
	install -m 0644 docs/pam_phonemfa.8 $(DESTDIR)$(MANDIR)/man8/pam_phonemfa.8
	install -m 0644 docs/phonemfa.conf.5 $(DESTDIR)$(MANDIR)/man5/phonemfa.conf.5
	install -m 0644 docs/phonemfa-verify-api.yaml docs/phonemfad-protocol.md conf/phonemfa.conf \
	    $(DESTDIR)$(DOCDIR)/
	install -d $(DESTDIR)$(DOCDIR)/directory
	install -m 0644 conf/directory/active-directory.conf conf/directory/freeipa.conf conf/directory/entra.conf \
	    $(DESTDIR)$(DOCDIR)/directory/
	install -d $(DESTDIR)$(DOCDIR)/ldap
	install -m 0644 conf/ldap/phonemfa-schema.ldif $(DESTDIR)$(DOCDIR)/ldap/
	@# pam-auth-update reads profiles from /usr/share/pam-configs only. Installing
	@# it changes no stack: `pam-auth-update --enable phonemfa` does.
	install -m 0644 conf/pam-configs/phonemfa $(DESTDIR)/usr/share/pam-configs/phonemfa
	install -d -m 0700 $(DESTDIR)$(SYSCONFDIR)/phonemfa $(DESTDIR)$(SYSCONFDIR)/phonemfa/pam.d
	install -m 0644 conf/pam.d/phonemfa-setup $(DESTDIR)$(DOCDIR)/pam.d/phonemfa-setup
	@# An administrator's edited stack is never overwritten.
	@target=$(DESTDIR)$(SYSCONFDIR)/phonemfa/pam.d/phonemfa-setup; \
	if [ ! -e "$$target" ]; then install -m 0644 conf/pam.d/phonemfa-setup "$$target"; \
	elif ! cmp -s conf/pam.d/phonemfa-setup "$$target"; then \
	    echo "install: kept your edited $$target; the shipped one is $(DOCDIR)/pam.d/phonemfa-setup"; fi
	@# The sshd examples (docs/admin-guide.md, section 4), not installed in /etc.
	install -d $(DESTDIR)$(DOCDIR)/sshd_config.d
	install -m 0644 conf/sshd_config.d/phonemfa.conf conf/sshd_config.d/phonemfa-key-then-phone.conf \
	    conf/sshd_config.d/phonemfa-mixed.conf $(DESTDIR)$(DOCDIR)/sshd_config.d/
	install -m 0644 conf/pam.d/sshd conf/pam.d/sshd-key-then-phone conf/pam.d/phonemfa-sshd-mixed \
	    $(DESTDIR)$(DOCDIR)/pam.d/
	install -d -m 0700 $(DESTDIR)/var/lib/phonemfa $(DESTDIR)/var/lib/phonemfa/state
	@# Before 0.1.0's package the stack was /etc/pam.d/phonemfa-setup: the running
	@# phonemfad still reads it until restarted, so it is not removed here.
	@[ ! -e $(DESTDIR)/etc/pam.d/phonemfa-setup ] || echo "install: /etc/pam.d/phonemfa-setup is no longer read" \
	    "(the stack is $(SYSCONFDIR)/phonemfa/pam.d/phonemfa-setup): restart phonemfad, then delete it"

# Never leave a PAM stack naming a module that is gone: refuse while any
# file in /etc/pam.d (or /etc/pam.conf) still names pam_phonemfa.so (the pam-auth-update
# profile: `pam-auth-update --disable phonemfa` first). Configuration, phones
# and state stay; phonemfa-setup's own stack goes when it is unedited.
uninstall:
	@named=$$(grep -ls '^[^#]*pam_phonemfa\.so' $(DESTDIR)/etc/pam.conf $(DESTDIR)/etc/pam.d/*); \
	if [ -n "$$named" ]; then \
	    echo "uninstall: refused: these PAM stacks still name pam_phonemfa.so:" $$named >&2; \
	    echo "uninstall: remove the module from them first (for common-auth: pam-auth-update --disable phonemfa)" >&2; \
	    exit 1; fi
	rm -f $(DESTDIR)/usr/share/pam-configs/phonemfa
	rm -f $(DESTDIR)$(PAMDIR)/pam_phonemfa.so $(DESTDIR)$(MANDIR)/man8/pam_phonemfa.8 \
	    $(DESTDIR)$(PREFIX)/bin/phonemfa-setup $(DESTDIR)$(MANDIR)/man8/phonemfa-setup.8 \
	    $(DESTDIR)$(MANDIR)/man5/phonemfa.conf.5 $(DESTDIR)$(PREFIX)/sbin/phonemfad \
	    $(DESTDIR)$(MANDIR)/man8/phonemfad.8 $(DESTDIR)$(SYSTEMDUNITDIR)/phonemfad.service \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/phonemfad.socket \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions/phonemfa-setup \
	    $(LINGUAS:%=$(DESTDIR)$(LOCALEDIR)/%/LC_MESSAGES/pam_phonemfa.mo)
	@target=$(DESTDIR)$(SYSCONFDIR)/phonemfa/pam.d/phonemfa-setup; \
	if cmp -s conf/pam.d/phonemfa-setup "$$target"; then rm -f "$$target"; \
	elif [ -e "$$target" ]; then echo "uninstall: kept your edited $$target"; fi
	rm -rf $(DESTDIR)$(DOCDIR)

# The Debian package (conf/debian): built from a copy of this tree, then
# checked with lintian; any error or warning fails.
DEB_WORK := $(BUILD)/deb
deb:
	@sh tests/tools/install-deps.sh deb
	rm -rf $(DEB_WORK) && mkdir -p $(DEB_WORK)/pam-phonemfa-$(VERSION)
	tar --exclude=./build --exclude=./.git -cf - . | tar -C $(DEB_WORK)/pam-phonemfa-$(VERSION) -xf -
	cp -r conf/debian $(DEB_WORK)/pam-phonemfa-$(VERSION)/debian
	cd $(DEB_WORK)/pam-phonemfa-$(VERSION) && dpkg-buildpackage -b -uc -us >../build.log 2>&1 || \
	    { tail -40 ../build.log; exit 1; }
	@# lintian leaves its mldbm-* scratch files behind: give it a TMPDIR of its own.
	mkdir -p $(DEB_WORK)/lintian-tmp
	TMPDIR=$(abspath $(DEB_WORK))/lintian-tmp lintian --fail-on error,warning $(DEB_WORK)/*.changes
	rm -rf $(DEB_WORK)/lintian-tmp
	@ls $(DEB_WORK)/*.deb

clean:
	rm -rf $(BUILD)
