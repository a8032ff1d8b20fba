#include "unit_helpers.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "phone_store.h"

static char directory[] = "/tmp/phonemfa-store-XXXXXX";

static int setup(void **state)
{
    (void)state;
    if (mkdtemp(directory) == NULL || chmod(directory, 0700) != 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char command[128];
    (void)snprintf(command, sizeof command, "rm -rf %s", directory);
    return system(command) == 0 ? 0 : -1;
}

static void make_record(struct phone_record *record, const char *number)
{
    memset(record, 0, sizeof *record);
    struct phone_entry *entry = &record->phones[SLOT_PRIMARY];
    assert_int_equal(phone_from_e164(number, NULL, &entry->number), PHONE_OK);
    entry->present = true;
    entry->channels = CHANNEL_TEXT | CHANNEL_CALL;
    entry->verified_by = VERIFIED_BY_TEXT;
    entry->verified_at = 1700000000;
    entry->added_at = 1700000000;
    (void)snprintf(entry->added_by, sizeof entry->added_by, "root");
}

static void write_then_read(void **state)
{
    (void)state;
    struct phone_store store;
    struct store_error error;
    struct phone_record record, read_back;

    if (geteuid() != 0)
        fail_msg("the store must be root-owned: run as root");
    assert_int_equal(phone_store_open(directory, &store, &error), 0);
    assert_int_equal(phone_store_read(&store, "carol", &read_back, &error), STORE_NOT_ENROLLED);
    make_record(&record, "+15555550117");
    int lock = phone_store_lock(&store, "carol", &error);
    assert_true(lock >= 0);
    assert_int_equal(phone_store_write_locked(&store, "carol", &record, &error), 0);
    phone_store_unlock(lock);
    assert_int_equal(phone_store_read(&store, "carol", &read_back, &error), STORE_FOUND);
    assert_string_equal(read_back.phones[SLOT_PRIMARY].number.e164, "+15555550117");

    char path[256];
    struct stat st;
    (void)snprintf(path, sizeof path, "%s/carol.json", directory);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    lock = phone_store_lock(&store, "carol", &error);
    assert_int_equal(phone_store_remove_locked(&store, "carol", &error), 0);
    phone_store_unlock(lock);
    assert_int_equal(phone_store_read(&store, "carol", &read_back, &error), STORE_NOT_ENROLLED);
    phone_store_close(&store);
}

static void user_names_are_checked_before_any_path(void **state)
{
    (void)state;
    struct phone_store store;
    struct store_error error;
    struct phone_record record;

    assert_int_equal(phone_store_open(directory, &store, &error), 0);
    assert_int_equal(phone_store_read(&store, "../etc/passwd", &record, &error), STORE_ERROR);
    assert_contains(error.message, "invalid user name");
    assert_int_equal(phone_store_lock(&store, "a/b", &error), -1);
    make_record(&record, "+15555550117");
    assert_int_equal(phone_store_write_locked(&store, "..", &record, &error), -1);
    phone_store_close(&store);
}

static void refuses_unsafe_directories(void **state)
{
    (void)state;
    struct phone_store store;
    struct store_error error;

    assert_int_equal(phone_store_open("/tmp", &store, &error), -1);
    assert_contains(error.message, "writable by group or others");
    assert_int_equal(phone_store_open("relative/dir", &store, &error), -1);
    assert_int_equal(phone_store_open("/nonexistent-phonemfa", &store, &error), -1);
    assert_contains(error.message, "No such file");
}

/* Many writers at once: every write lands whole, the record is always
 * readable, and no temp file is left behind. */
static void concurrent_writers_never_corrupt_the_record(void **state)
{
    (void)state;
    enum { WRITERS = 8, WRITES = 25 };
    pid_t children[WRITERS];

    for (int w = 0; w < WRITERS; w++) {
        children[w] = fork();
        assert_true(children[w] >= 0);
        if (children[w] == 0) {
            struct phone_store store;
            struct store_error error;
            struct phone_record record;
            char number[32];
            if (phone_store_open(directory, &store, &error) != 0)
                _exit(1);
            for (int i = 0; i < WRITES; i++) {
                (void)snprintf(number, sizeof number, "+1555555%04d", w * 100 + i);
                make_record(&record, number);
                int lock = phone_store_lock(&store, "dave", &error);
                if (lock < 0 || phone_store_write_locked(&store, "dave", &record, &error) != 0)
                    _exit(2);
                phone_store_unlock(lock);
                struct phone_record read_back;
                if (phone_store_read(&store, "dave", &read_back, &error) != STORE_FOUND)
                    _exit(3);
            }
            phone_store_close(&store);
            _exit(0);
        }
    }
    for (int w = 0; w < WRITERS; w++) {
        int status = 0;
        assert_int_equal(waitpid(children[w], &status, 0), children[w]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    DIR *dir = opendir(directory);
    assert_non_null(dir);
    for (struct dirent *entry; (entry = readdir(dir)) != NULL;)
        if (strstr(entry->d_name, ".tmp") != NULL)
            fail_msg("temp file left behind: %s", entry->d_name);
    closedir(dir);
}

/* A writer killed at any point leaves the previous record intact. */
static void killed_writer_leaves_the_old_record(void **state)
{
    (void)state;
    struct phone_store store;
    struct store_error error;
    struct phone_record record, read_back;

    assert_int_equal(phone_store_open(directory, &store, &error), 0);
    make_record(&record, "+15555550117");
    int lock = phone_store_lock(&store, "erin", &error);
    assert_int_equal(phone_store_write_locked(&store, "erin", &record, &error), 0);
    phone_store_unlock(lock);

    for (int round = 0; round < 20; round++) {
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) {
            struct phone_record other;
            make_record(&other, "+15555550199");
            for (;;) {
                int held = phone_store_lock(&store, "erin", &error);
                (void)phone_store_write_locked(&store, "erin", &other, &error);
                phone_store_unlock(held);
                make_record(&other, "+15555550117");
            }
        }
        usleep((useconds_t)(200 + round * 150));
        assert_int_equal(kill(child, SIGKILL), 0);
        assert_int_equal(waitpid(child, NULL, 0), child);
        assert_int_equal(phone_store_read(&store, "erin", &read_back, &error), STORE_FOUND);
        const char *number = read_back.phones[SLOT_PRIMARY].number.e164;
        assert_true(strcmp(number, "+15555550117") == 0 || strcmp(number, "+15555550199") == 0);
    }
    /* Whatever a killed writer left, the next writer removes. */
    char stale[256];
    (void)snprintf(stale, sizeof stale, "%s/.erin.json.tmp", directory);
    FILE *left = fopen(stale, "w");
    assert_non_null(left);
    (void)fputs("{half a rec", left);
    assert_int_equal(fclose(left), 0);
    lock = phone_store_lock(&store, "erin", &error);
    assert_int_equal(phone_store_write_locked(&store, "erin", &record, &error), 0);
    phone_store_unlock(lock);
    assert_int_equal(access(stale, F_OK), -1);
    phone_store_close(&store);
}

/* Readers take no lock: a read racing a rename must never fail (the file
 * it opened may have lost its last link meanwhile). */
static void reads_during_writes_always_succeed(void **state)
{
    (void)state;
    struct phone_store store;
    struct store_error error;
    struct phone_record record;

    assert_int_equal(phone_store_open(directory, &store, &error), 0);
    make_record(&record, "+15555550117");
    int lock = phone_store_lock(&store, "gina", &error);
    assert_int_equal(phone_store_write_locked(&store, "gina", &record, &error), 0);
    phone_store_unlock(lock);
    pid_t writer = fork();
    assert_true(writer >= 0);
    if (writer == 0) {
        for (;;) {
            int held = phone_store_lock(&store, "gina", &error);
            (void)phone_store_write_locked(&store, "gina", &record, &error);
            phone_store_unlock(held);
        }
    }
    for (int i = 0; i < 3000; i++) {
        struct phone_record read_back;
        if (phone_store_read(&store, "gina", &read_back, &error) != STORE_FOUND) {
            (void)kill(writer, SIGKILL);
            fail_msg("read %d failed: %s", i, error.message);
        }
    }
    assert_int_equal(kill(writer, SIGKILL), 0);
    assert_int_equal(waitpid(writer, NULL, 0), writer);
    phone_store_close(&store);
}

/* A holder that never lets go (stopped with SIGSTOP, hung) costs a bounded
 * wait and an error, not every later login of that user. */
static void a_lock_held_forever_is_given_up(void **state)
{
    (void)state;
    struct phone_store store;
    struct store_error error;
    int ready[2];

    assert_int_equal(phone_store_open(directory, &store, &error), 0);
    assert_int_equal(pipe(ready), 0);
    pid_t holder = fork();
    assert_true(holder >= 0);
    if (holder == 0) {
        if (phone_store_lock(&store, "frank", &error) < 0)
            _exit(1);
        (void)write(ready[1], "x", 1);
        (void)raise(SIGSTOP);
        _exit(0);
    }
    char byte;
    assert_int_equal(read(ready[0], &byte, 1), 1);
    assert_int_equal(phone_store_lock(&store, "frank", &error), -1);
    assert_contains(error.message, "frank.lock: still held by another process after 10 s");
    assert_int_equal(kill(holder, SIGKILL), 0);
    assert_int_equal(waitpid(holder, NULL, 0), holder);
    int lock = phone_store_lock(&store, "frank", &error);
    assert_true(lock >= 0);
    phone_store_unlock(lock);
    (void)close(ready[0]);
    (void)close(ready[1]);
    phone_store_close(&store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(write_then_read),
        cmocka_unit_test(user_names_are_checked_before_any_path),
        cmocka_unit_test(refuses_unsafe_directories),
        cmocka_unit_test(concurrent_writers_never_corrupt_the_record),
        cmocka_unit_test(killed_writer_leaves_the_old_record),
        cmocka_unit_test(a_lock_held_forever_is_given_up),
        cmocka_unit_test(reads_during_writes_always_succeed),
    };
    return cmocka_run_group_tests_name("phone_store", tests, setup, teardown);
}
