/* The crash matrix: writers of the per-user state (the module's lockout and
 * send counts) and of the phone store (phonemfa-setup) are killed with
 * SIGKILL at random moments, CRASH_ROUNDS times each (100 in make check,
 * 1000 in make check-long). After every kill the file is whole (never
 * corrupt), holds every change its writer had finished (never lost), and
 * the temp file a killed writer may leave is gone after the next write. */
#include "unit_helpers.h"

#include <dirent.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "phone_store.h"
#include "policy.h"
#include "user_state.h"

static char directory[] = "/tmp/phonemfa-crash-XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(directory) != NULL && chmod(directory, 0700) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char command[128];
    (void)snprintf(command, sizeof command, "rm -rf %s", directory);
    return system(command) == 0 ? 0 : -1;
}

static int rounds(void)
{
    const char *text = getenv("CRASH_ROUNDS");
    int value = text ? atoi(text) : 100;
    return value > 0 ? value : 100;
}

static unsigned random_below(unsigned limit)
{
    unsigned value = 0;
    if (getrandom(&value, sizeof value, 0) != (ssize_t)sizeof value)
        abort();
    return value % limit;
}

/* Kill the child after a random delay (0 to 3 ms: several writes' time). */
static void kill_at_random(pid_t child)
{
    struct timespec delay = {.tv_sec = 0, .tv_nsec = (long)random_below(3000) * 1000L};
    (void)nanosleep(&delay, NULL);
    assert_int_equal(kill(child, SIGKILL), 0);
    assert_int_equal(waitpid(child, NULL, 0), child);
}

static unsigned last_acknowledged(int pipe_fd)
{
    unsigned value = 0, got;
    while (read(pipe_fd, &got, sizeof got) == (ssize_t)sizeof got)
        value = got;
    return value;
}

static unsigned temp_files(void)
{
    unsigned count = 0;
    DIR *dir = opendir(directory);
    assert_non_null(dir);
    for (struct dirent *entry; (entry = readdir(dir)) != NULL;)
        count += strstr(entry->d_name, ".tmp") != NULL;
    closedir(dir);
    return count;
}

/* One failure per update, acknowledged on the pipe once written. */
static int add_one_failure(struct user_state *state, void *context)
{
    (void)context;
    if (state->failure_count >= STATE_MAX_EVENTS)
        state->failure_count = 0;
    state->failures[state->failure_count++] = 1700000000;
    return 0;
}

static void killed_state_writers_never_corrupt_or_lose(void **state)
{
    (void)state;
    struct record_dir dir;
    struct record_dir_error error;
    struct user_state *read_back = malloc(sizeof *read_back);
    unsigned kills = 0, stale_seen = 0;

    assert_non_null(read_back);
    assert_int_equal(record_dir_open(directory, "state directory", &dir, &error), 0);
    for (int round = 0; round < rounds(); round++) {
        assert_int_equal(user_state_read(&dir, "crash", read_back, &error), 0);
        unsigned before = (unsigned)read_back->failure_count;
        int ack[2];
        assert_int_equal(pipe(ack), 0);
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) {
            (void)close(ack[0]);
            for (unsigned done = before;;) {
                if (user_state_update(&dir, "crash", add_one_failure, NULL, &error) != 0)
                    _exit(1);
                done = done >= STATE_MAX_EVENTS ? 1 : done + 1;
                if (write(ack[1], &done, sizeof done) != (ssize_t)sizeof done)
                    _exit(2);
            }
        }
        (void)close(ack[1]);
        kill_at_random(child);
        kills++;
        unsigned acknowledged = last_acknowledged(ack[0]);
        (void)close(ack[0]);
        /* Whole, and nothing that was acknowledged is missing: the count is
         * the last acknowledged one or the one being written when killed. */
        if (user_state_read(&dir, "crash", read_back, &error) != 0)
            fail_msg("round %d: state corrupt: %s", round, error.message);
        unsigned now = (unsigned)read_back->failure_count;
        if (acknowledged != 0 && now != acknowledged && now != (acknowledged >= STATE_MAX_EVENTS ? 1 : acknowledged + 1))
            fail_msg("round %d: %u failures acknowledged, %u in the file", round, acknowledged, now);
        stale_seen += temp_files();
    }
    /* The next writer removes what a killed one left. */
    assert_int_equal(user_state_update(&dir, "crash", add_one_failure, NULL, &error), 0);
    assert_int_equal(temp_files(), 0);
    record_dir_close(&dir);
    free(read_back);
    print_message("crash matrix: %u state writers killed, 0 corrupt, 0 lost, %u stale temp files seen and "
                  "removed by the next writer\n", kills, stale_seen);
}

static void make_record(struct phone_record *record, unsigned serial)
{
    char number[32];
    memset(record, 0, sizeof *record);
    (void)snprintf(number, sizeof number, "+1555555%04u", 1000 + serial % 9000);
    struct phone_entry *entry = &record->phones[SLOT_PRIMARY];
    if (phone_from_e164(number, NULL, &entry->number) != PHONE_OK)
        abort();
    entry->present = true;
    entry->channels = CHANNEL_TEXT | CHANNEL_CALL;
    entry->verified_by = VERIFIED_NONE;
    entry->added_at = 1700000000;
    (void)snprintf(entry->added_by, sizeof entry->added_by, "root");
}

static unsigned serial_of(const struct phone_record *record)
{
    return (unsigned)atoi(record->phones[SLOT_PRIMARY].number.e164 + 8) - 1000;
}

static void killed_store_writers_never_corrupt_or_lose(void **state)
{
    (void)state;
    struct phone_store store;
    struct store_error error;
    struct phone_record record;
    unsigned kills = 0;

    assert_int_equal(phone_store_open(directory, &store, &error), 0);
    make_record(&record, 0);
    int lock = phone_store_lock(&store, "crashrec", &error);
    assert_int_equal(phone_store_write_locked(&store, "crashrec", &record, &error), 0);
    phone_store_unlock(lock);
    for (int round = 0; round < rounds(); round++) {
        assert_int_equal(phone_store_read(&store, "crashrec", &record, &error), STORE_FOUND);
        unsigned before = serial_of(&record);
        int ack[2];
        assert_int_equal(pipe(ack), 0);
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) {
            (void)close(ack[0]);
            for (unsigned serial = before + 1;; serial = serial % 8999 + 1) {
                struct phone_record next;
                make_record(&next, serial);
                int held = phone_store_lock(&store, "crashrec", &error);
                if (held < 0 || phone_store_write_locked(&store, "crashrec", &next, &error) != 0)
                    _exit(1);
                phone_store_unlock(held);
                if (write(ack[1], &serial, sizeof serial) != (ssize_t)sizeof serial)
                    _exit(2);
            }
        }
        (void)close(ack[1]);
        kill_at_random(child);
        kills++;
        unsigned acknowledged = last_acknowledged(ack[0]);
        (void)close(ack[0]);
        if (phone_store_read(&store, "crashrec", &record, &error) != STORE_FOUND)
            fail_msg("round %d: record corrupt or lost: %s", round, error.message);
        unsigned now = serial_of(&record);
        if (acknowledged != 0 && now != acknowledged && now != acknowledged % 8999 + 1)
            fail_msg("round %d: record %u acknowledged, %u in the file", round, acknowledged, now);
    }
    phone_store_close(&store);
    print_message("crash matrix: %u store writers killed, 0 corrupt, 0 lost\n", kills);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(killed_state_writers_never_corrupt_or_lose),
        cmocka_unit_test(killed_store_writers_never_corrupt_or_lose),
    };
    return cmocka_run_group_tests_name("crash", tests, setup, teardown);
}
