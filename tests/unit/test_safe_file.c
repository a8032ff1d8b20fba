/* path_of() and make_file() answer in one static buffer: copy what is kept. */

/* The checks on every file that decides security: each refusal names the
 * file and the problem, and nothing unsafe is ever read. */
#include "unit_helpers.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record_dir.h"
#include "safe_file.h"

static char directory[] = "/tmp/phonemfa-safe-XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(directory) != NULL && chmod(directory, 0755) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char command[128];
    (void)snprintf(command, sizeof command, "rm -rf %s", directory);
    return system(command) == 0 ? 0 : -1;
}

static const char *path_of(const char *name)
{
    static char path[256];
    (void)snprintf(path, sizeof path, "%s/%s", directory, name);
    return path;
}

static const char *make_file(const char *name, const char *text, mode_t mode)
{
    const char *path = path_of(name);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    assert_int_equal(fputs(text, file) >= 0, 1);
    assert_int_equal(fclose(file), 0);
    assert_int_equal(chmod(path, mode), 0);
    return path;
}

static void refused(const char *path, size_t max_size, enum safe_file_access access, const char *expected)
{
    struct safe_file_error error;
    char *content = NULL;
    size_t length = 0;

    if (safe_read_file(path, max_size, access, &content, &length, NULL, &error) == 0)
        fail_msg("%s was read", path ? path : "(null)");
    assert_null(content);
    assert_contains(error.message, expected);
}

static void unsafe_files_are_refused_with_a_reason(void **state)
{
    (void)state;
    char link_path[256];
    struct safe_file_error error;
    char *content = NULL;
    size_t length = 0;
    unsigned mode = 0;

    char good[256];
    (void)snprintf(good, sizeof good, "%s", make_file("good", "fine\n", 0600));
    assert_int_equal(safe_read_file(good, 100, SAFE_FILE_PRIVATE, &content, &length, &mode, &error), 0);
    assert_string_equal(content, "fine\n");
    assert_int_equal(mode, 0600);
    free(content);

    refused(NULL, 100, SAFE_FILE_PRIVATE, "no path");
    refused("relative/file", 100, SAFE_FILE_PRIVATE, "not an absolute path to a file");
    refused("/tmp/", 100, SAFE_FILE_PRIVATE, "not an absolute path to a file");
    refused(path_of("missing"), 100, SAFE_FILE_PRIVATE, "No such file or directory");
    refused(make_file("big", "0123456789", 0600), 4, SAFE_FILE_PRIVATE, "larger than 4 bytes");
    refused(make_file("shared", "x", 0640), 100, SAFE_FILE_PRIVATE, "(mode 0640); it must be mode 0600");
    refused(make_file("writable", "x", 0620), 100, SAFE_FILE_READABLE_BY_OTHERS_OK, "writable by group or others");
    char nul[256];
    (void)snprintf(nul, sizeof nul, "%s", path_of("nul"));
    FILE *file = fopen(nul, "w");
    assert_non_null(file);
    assert_int_equal(fwrite("a\0b", 1, 3, file), 3);
    assert_int_equal(fclose(file), 0);
    refused(nul, 100, SAFE_FILE_READABLE_BY_OTHERS_OK, "contains a NUL byte");
    {
        /* Shipped binary data (a catalogue) may hold NUL bytes. */
        char *binary = NULL;
        size_t binary_length = 0;
        struct safe_file_error binary_error;
        assert_int_equal(safe_read_file(nul, 100, SAFE_FILE_BINARY, &binary, &binary_length, NULL, &binary_error), 0);
        assert_int_equal(binary_length, 3);
        assert_memory_equal(binary, "a\0b", 3);
        free(binary);
    }

    (void)snprintf(link_path, sizeof link_path, "%s", path_of("link"));
    assert_int_equal(symlink(good, link_path), 0);
    refused(link_path, 100, SAFE_FILE_READABLE_BY_OTHERS_OK, "is a symlink");

    char hard[256];
    (void)snprintf(hard, sizeof hard, "%s", path_of("hard"));
    assert_int_equal(link(good, hard), 0);
    refused(good, 100, SAFE_FILE_READABLE_BY_OTHERS_OK, "has 2 hard links, expected 1");
    {
        /* ... but not shipped data: ostree gives every file of /usr several. */
        char *binary = NULL;
        size_t binary_length = 0;
        struct safe_file_error binary_error;
        assert_int_equal(safe_read_file(good, 100, SAFE_FILE_BINARY, &binary, &binary_length, NULL, &binary_error), 0);
        free(binary);
    }
    assert_int_equal(unlink(hard), 0);

    char owned[256];
    (void)snprintf(owned, sizeof owned, "%s", make_file("owned", "x", 0600));
    assert_int_equal(chown(owned, 65534, 65534), 0);
    refused(owned, 100, SAFE_FILE_READABLE_BY_OTHERS_OK, "not owned by root (owner uid 65534)");

    assert_int_equal(mkdir(path_of("subdir"), 0700), 0);
    refused(path_of("subdir"), 100, SAFE_FILE_READABLE_BY_OTHERS_OK, "not a regular file");
    assert_int_equal(chmod(directory, 0777), 0);
    refused(good, 100, SAFE_FILE_READABLE_BY_OTHERS_OK, "writable by group or others (mode 0777)");
    assert_int_equal(chmod(directory, 0755), 0);
}

/* A record read without a lock may lose its last link to a writer's rename
 * between open and fstat; that file is still the whole old record. Only the
 * record reader accepts it, and a second name is refused by every kind. */
static void a_record_replaced_after_open_is_still_read(void **state)
{
    (void)state;
    struct safe_file_error error;
    struct stat st;
    char path[256];

    (void)snprintf(path, sizeof path, "%s", make_file("replaced", "old record", 0600));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(st.st_nlink, 0);
    assert_true(safe_check_owner_mode(&st, path, SAFE_FILE_MAYBE_REPLACED, &error));
    assert_false(safe_check_owner_mode(&st, path, SAFE_FILE, &error));
    assert_contains(error.message, "has 0 hard links, expected 1");
    char *content = NULL;
    size_t length = 0;
    assert_int_equal(safe_read_descriptor(fd, path, 100, &content, &length, &error), 0);
    assert_string_equal(content, "old record");
    free(content);
    assert_int_equal(close(fd), 0);

    (void)snprintf(path, sizeof path, "%s", make_file("twice", "x", 0600));
    assert_int_equal(link(path, path_of("twice-again")), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_false(safe_check_owner_mode(&st, path, SAFE_FILE_MAYBE_REPLACED, &error));
    assert_contains(error.message, "has 2 hard links, expected 1");
}

static void directories_are_checked_too(void **state)
{
    (void)state;
    struct safe_file_error error;
    struct record_dir dir;
    struct record_dir_error dir_error;

    assert_int_equal(safe_open_directory("relative", &error), -1);
    assert_contains(error.message, "not an absolute path");
    assert_int_equal(safe_open_directory(make_file("plain", "x", 0600), &error), -1);
    assert_contains(error.message, "is a symlink or not a directory");
    /* The state directory is made on demand, root's and 0700 whatever the umask. */
    mode_t old = umask(0);
    assert_int_equal(record_dir_open_or_create(path_of("state"), "state directory", &dir, &dir_error), 0);
    umask(old);
    struct stat st;
    assert_int_equal(stat(path_of("state"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    assert_int_equal(st.st_uid, 0);
    record_dir_close(&dir);
    /* Not in a parent anybody may write to. */
    assert_int_equal(chmod(directory, 0777), 0);
    assert_int_equal(record_dir_open_or_create(path_of("state2"), "state directory", &dir, &dir_error), -1);
    assert_contains(dir_error.message, "writable by group or others");
    assert_int_equal(access(path_of("state2"), F_OK), -1);
    assert_int_equal(chmod(directory, 0755), 0);
    /* Records: a name that is not a user name never becomes a path. */
    assert_int_equal(record_dir_open(path_of("state"), "state directory", &dir, &dir_error), 0);
    char *content = NULL;
    size_t length = 0;
    assert_int_equal(record_dir_read(&dir, "../etc", ".state", 100, &content, &length, &dir_error), RECORD_ERROR);
    assert_contains(dir_error.message, "invalid user name");
    assert_int_equal(record_dir_lock(&dir, "a/b", &dir_error), -1);
    int lock = record_dir_lock(&dir, "ivan", &dir_error);
    assert_true(lock >= 0);
    assert_int_equal(record_dir_write_locked(&dir, "ivan", ".state", "{}", &dir_error), 0);
    assert_int_equal(record_dir_remove_locked(&dir, "ivan", ".state", &dir_error), 0);
    assert_int_equal(record_dir_remove_locked(&dir, "ivan", ".state", &dir_error), 0); /* already gone: fine */
    record_dir_unlock(lock);
    record_dir_close(&dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unsafe_files_are_refused_with_a_reason),
        cmocka_unit_test(a_record_replaced_after_open_is_still_read),
        cmocka_unit_test(directories_are_checked_too),
    };
    return cmocka_run_group_tests_name("safe_file", tests, setup, teardown);
}
