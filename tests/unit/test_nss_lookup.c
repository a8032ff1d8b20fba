/* NSS lookups that complete or fail, never half-answer. The NSS functions
 * are wrapped at link time (-Wl,--wrap) so a test can make them answer
 * ERANGE until the buffer is large enough, or fail outright, as a large
 * directory or an LDAP outage would. */
#include "unit_helpers.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>

#include "nss_lookup.h"

/* What the fake NSS answers. */
static struct {
    size_t needed_buffer;  /* ERANGE below this */
    int user_error;        /* getpwnam_r's answer when set */
    int group_error;
    int user_groups;       /* how many groups the user is in */
    size_t largest_buffer; /* the largest buffer offered */
} fake;

int __wrap_getpwnam_r(const char *name, struct passwd *pw, char *buffer, size_t size, struct passwd **result);
int __wrap_getgrnam_r(const char *name, struct group *gr, char *buffer, size_t size, struct group **result);
int __wrap_getgrouplist(const char *user, gid_t group, gid_t *groups, int *count);

int __wrap_getpwnam_r(const char *name, struct passwd *pw, char *buffer, size_t size, struct passwd **result)
{
    *result = NULL;
    if (size > fake.largest_buffer)
        fake.largest_buffer = size;
    if (fake.user_error != 0)
        return fake.user_error;
    if (size < fake.needed_buffer)
        return ERANGE;
    if (strcasecmp(name, "alice") != 0)
        return 0;
    (void)snprintf(buffer, size, "alice");
    memset(pw, 0, sizeof *pw);
    pw->pw_name = buffer;
    pw->pw_uid = 1001;
    pw->pw_gid = 100;
    *result = pw;
    return 0;
}

int __wrap_getgrnam_r(const char *name, struct group *gr, char *buffer, size_t size, struct group **result)
{
    *result = NULL;
    if (fake.group_error != 0)
        return fake.group_error;
    if (size < fake.needed_buffer)
        return ERANGE;
    if (strncmp(name, "g", 1) != 0)
        return 0; /* only groups g0, g1, ... exist */
    (void)snprintf(buffer, size, "%s", name);
    memset(gr, 0, sizeof *gr);
    gr->gr_name = buffer;
    gr->gr_gid = (gid_t)(5000 + atoi(name + 1));
    *result = gr;
    return 0;
}

int __wrap_getgrouplist(const char *user, gid_t group, gid_t *groups, int *count)
{
    (void)user;
    int total = fake.user_groups + 1;
    if (*count < total) {
        *count = total;
        return -1;
    }
    groups[0] = group;
    for (int i = 1; i < total; i++)
        groups[i] = (gid_t)(5000 + i - 1);
    *count = total;
    return total;
}

static int reset(void **state)
{
    (void)state;
    memset(&fake, 0, sizeof fake);
    fake.user_groups = 3;
    return 0;
}

static struct name_list one_group(char *name)
{
    struct name_list list = {.names = {name}, .count = 1};
    return list;
}

static void canonical_names_come_from_nss(void **state)
{
    (void)state;
    char canonical[USER_NAME_MAX + 1], error[NSS_ERROR_MAX];

    assert_int_equal(nss_canonical_user("ALICE", canonical, error, sizeof error), NSS_FOUND);
    assert_string_equal(canonical, "alice");
    assert_int_equal(nss_canonical_user("bob", canonical, error, sizeof error), NSS_NOT_FOUND);
    fake.user_error = ENOENT; /* some sources say "not found" this way */
    assert_int_equal(nss_canonical_user("bob", canonical, error, sizeof error), NSS_NOT_FOUND);
    fake.user_error = EIO; /* the directory did not answer */
    assert_int_equal(nss_canonical_user("alice", canonical, error, sizeof error), NSS_FAILED);
    assert_contains(error, "user lookup failed for 'alice'");
}

static void buffers_grow_until_the_answer_fits(void **state)
{
    (void)state;
    char canonical[USER_NAME_MAX + 1], error[NSS_ERROR_MAX];
    bool member = false;
    char name[] = "g2";
    struct name_list groups = one_group(name);

    fake.needed_buffer = 1u << 20; /* a group of tens of thousands of members */
    assert_int_equal(nss_canonical_user("alice", canonical, error, sizeof error), NSS_FOUND);
    assert_int_equal(nss_user_in_groups("alice", &groups, true, &member, error, sizeof error), 0);
    assert_true(member);
    assert_true(fake.largest_buffer >= fake.needed_buffer);
    /* Beyond any sane size: a failure, never "not found". */
    fake.needed_buffer = (size_t)1 << 40;
    assert_int_equal(nss_canonical_user("alice", canonical, error, sizeof error), NSS_FAILED);
    assert_int_equal(nss_user_in_groups("alice", &groups, true, &member, error, sizeof error), -1);
}

static void the_group_list_grows(void **state)
{
    (void)state;
    char error[NSS_ERROR_MAX];
    bool member = false;
    char name[] = "g399";
    struct name_list groups = one_group(name);

    fake.user_groups = 400; /* the last one is g399 */
    assert_int_equal(nss_user_in_groups("alice", &groups, true, &member, error, sizeof error), 0);
    assert_true(member);
    char other[] = "g400";
    groups = one_group(other);
    assert_int_equal(nss_user_in_groups("alice", &groups, true, &member, error, sizeof error), 0);
    assert_false(member);
}

static void failures_and_missing_groups(void **state)
{
    (void)state;
    char error[NSS_ERROR_MAX];
    bool member = true;
    char missing[] = "staff", present[] = "g1";
    struct name_list groups = {.names = {missing, present}, .count = 2};

    /* Required: a group that does not exist is an error (it would exempt everybody). */
    assert_int_equal(nss_user_in_groups("alice", &groups, true, &member, error, sizeof error), -1);
    assert_contains(error, "group 'staff' does not exist");
    /* Exempt or break-glass: it simply has no members. */
    assert_int_equal(nss_user_in_groups("alice", &groups, false, &member, error, sizeof error), 0);
    assert_true(member);
    fake.group_error = EAGAIN;
    assert_int_equal(nss_user_in_groups("alice", &groups, false, &member, error, sizeof error), -1);
    assert_false(member);
    assert_contains(error, "could not look up group 'staff'");
    fake.group_error = 0;
    fake.user_error = EIO;
    assert_int_equal(nss_user_in_groups("alice", &groups, false, &member, error, sizeof error), -1);
    /* Nothing asked when no group is listed. */
    struct name_list none = {.count = 0};
    assert_int_equal(nss_user_in_groups("alice", &none, true, &member, error, sizeof error), 0);
    assert_false(member);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(canonical_names_come_from_nss, reset),
        cmocka_unit_test_setup(buffers_grow_until_the_answer_fits, reset),
        cmocka_unit_test_setup(the_group_list_grows, reset),
        cmocka_unit_test_setup(failures_and_missing_groups, reset),
    };
    return cmocka_run_group_tests_name("nss_lookup", tests, NULL, NULL);
}
