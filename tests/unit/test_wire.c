/* The module <-> phonemfad protocol: frames, fields, limits, the socket
 * I/O and the daemon's reading of a login request. */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "login_wire.h"
#include "unit_helpers.h"
#include "wire.h"

static struct wire_message *parse(const struct wire_builder *frame)
{
    struct wire_message *message = wire_message_new();
    assert_non_null(message);
    assert_int_equal(wire_parse(frame->data + WIRE_HEADER_SIZE, frame->length - WIRE_HEADER_SIZE, message), 0);
    return message;
}

static void round_trip_keeps_every_field(void **state)
{
    (void)state;
    struct wire_builder *frame = wire_builder_new();
    wire_begin(frame, WIRE_LOGIN);
    wire_add(frame, WIRE_F_VERSION, WIRE_VERSION);
    wire_add(frame, WIRE_F_USER, "alice");
    wire_add(frame, WIRE_F_RHOST, "");
    wire_add(frame, WIRE_F_TTY, NULL); /* nothing */
    assert_int_equal(wire_finish(frame), 0);
    size_t payload = frame->length - WIRE_HEADER_SIZE;
    assert_int_equal(frame->data[3], payload & 0xff);
    struct wire_message *message = parse(frame);
    assert_int_equal(message->type, WIRE_LOGIN);
    assert_int_equal(message->count, 3);
    assert_string_equal(wire_get(message, WIRE_F_USER, NULL), "alice");
    assert_string_equal(wire_get(message, WIRE_F_RHOST, NULL), "");
    assert_null(wire_get(message, WIRE_F_TTY, NULL));
    wire_message_free(message);
    wire_builder_free(frame);
}

static void a_value_that_does_not_fit_fails_the_frame(void **state)
{
    (void)state;
    struct wire_builder *frame = wire_builder_new();
    char *big = malloc(70000);
    memset(big, 'x', 69999);
    big[69999] = '\0';
    wire_begin(frame, WIRE_ANSWER);
    wire_add(frame, WIRE_F_TEXT, big);
    assert_int_equal(wire_finish(frame), -1);
    free(big);
    wire_builder_free(frame);
}

static void malformed_payloads_are_refused(void **state)
{
    (void)state;
    struct wire_message *message = wire_message_new();
    const unsigned char runs_past_the_end[] = {'L', 'u', 0, 9, 'a'};
    const unsigned char nul_inside[] = {'L', 'u', 0, 3, 'a', 0, 'b'};
    const unsigned char half_a_header[] = {'L', 'u', 0};
    assert_int_equal(wire_parse(runs_past_the_end, sizeof runs_past_the_end, message), -1);
    assert_int_equal(wire_parse(nul_inside, sizeof nul_inside, message), -1);
    assert_int_equal(wire_parse(half_a_header, sizeof half_a_header, message), -1);
    assert_int_equal(wire_parse(half_a_header, 0, message), -1);
    unsigned char many[1 + 3 * (WIRE_FIELDS_MAX + 1)];
    many[0] = 'L';
    for (size_t i = 0; i <= WIRE_FIELDS_MAX; i++) {
        many[1 + 3 * i] = 'o';
        many[2 + 3 * i] = 0;
        many[3 + 3 * i] = 0;
    }
    assert_int_equal(wire_parse(many, sizeof many, message), -1);
    assert_int_equal(wire_parse(many, sizeof many - 3, message), 0);
    wire_message_free(message);
}

static void a_tag_given_twice_says_nothing(void **state)
{
    (void)state;
    struct wire_builder *frame = wire_builder_new();
    bool duplicate = false;
    wire_begin(frame, WIRE_LOGIN);
    wire_add(frame, WIRE_F_USER, "alice");
    wire_add(frame, WIRE_F_USER, "root");
    assert_int_equal(wire_finish(frame), 0);
    struct wire_message *message = parse(frame);
    assert_null(wire_get(message, WIRE_F_USER, &duplicate));
    assert_true(duplicate);
    wire_message_free(message);
    wire_builder_free(frame);
}

static void send_frame_to(int fd, const unsigned char *bytes, size_t length)
{
    assert_int_equal(write(fd, bytes, length), (ssize_t)length);
}

static void receive_bounds_time_size_and_end(void **state)
{
    (void)state;
    int pair[2];
    struct wire_message *message = wire_message_new();
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair), 0);
    /* Silence: the deadline ends the wait. */
    long before = wire_now_ms();
    assert_int_equal(wire_receive(pair[0], message, wire_deadline(150)), -1);
    assert_int_equal(errno, ETIMEDOUT);
    assert_true(wire_now_ms() - before >= 140);
    /* A length over the limit is refused before anything is read into memory. */
    const unsigned char too_long[] = {0x7f, 0xff, 0xff, 0xff, 'L'};
    send_frame_to(pair[1], too_long, sizeof too_long);
    assert_int_equal(wire_receive(pair[0], message, wire_deadline(1000)), -1);
    assert_int_equal(errno, EPROTO);
    close(pair[0]);
    close(pair[1]);
    /* A frame cut short by the peer's end: a reset, never a message. */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair), 0);
    const unsigned char cut[] = {0, 0, 0, 10, 'L', 'u'};
    send_frame_to(pair[1], cut, sizeof cut);
    close(pair[1]);
    assert_int_equal(wire_receive(pair[0], message, wire_deadline(1000)), -1);
    assert_int_equal(errno, ECONNRESET);
    close(pair[0]);
    wire_message_free(message);
}

static void send_and_receive_over_a_socket(void **state)
{
    (void)state;
    int pair[2];
    struct wire_builder *frame = wire_builder_new();
    struct wire_message *message = wire_message_new();
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair), 0);
    wire_begin(frame, WIRE_PROMPT);
    wire_add(frame, WIRE_F_ECHO, "off");
    wire_add(frame, WIRE_F_TEXT, "Code: ");
    assert_int_equal(wire_finish(frame), 0);
    assert_int_equal(wire_send(pair[1], frame, wire_deadline(1000)), 0);
    assert_int_equal(wire_receive(pair[0], message, wire_deadline(1000)), 0);
    assert_int_equal(message->type, WIRE_PROMPT);
    assert_string_equal(wire_get(message, WIRE_F_TEXT, NULL), "Code: ");
    /* A peer gone: the write fails, without SIGPIPE killing the test. */
    close(pair[0]);
    assert_int_equal(wire_send(pair[1], frame, wire_deadline(1000)), -1);
    close(pair[1]);
    wire_message_free(message);
    wire_builder_free(frame);
}

static const char *read_login(const char *const *fields, size_t count, struct login_fields *out,
                              struct wire_message *message, struct wire_builder *frame)
{
    wire_begin(frame, WIRE_LOGIN);
    for (size_t i = 0; i < count; i++)
        wire_add(frame, fields[i][0], fields[i] + 1);
    assert_int_equal(wire_finish(frame), 0);
    assert_int_equal(wire_parse(frame->data + WIRE_HEADER_SIZE, frame->length - WIRE_HEADER_SIZE, message), 0);
    return login_wire_read(message, out);
}

static void login_requests_are_read_strictly(void **state)
{
    (void)state;
    struct wire_message *message = wire_message_new();
    struct wire_builder *frame = wire_builder_new();
    struct login_fields fields;
    const char *good[] = {("v" WIRE_VERSION), "ualice", "ssshd", "h192.0.2.10", "ounenrolled=ignore"};
    assert_null(read_login(good, 5, &fields, message, frame));
    assert_string_equal(fields.user, "alice");
    assert_string_equal(fields.rhost, "192.0.2.10");
    assert_null(fields.tty);
    assert_int_equal(fields.unenrolled, 1);
    const char *no_version[] = {"ualice"};
    assert_non_null(read_login(no_version, 1, &fields, message, frame));
    const char *other_version[] = {"v999", "ualice"};
    assert_non_null(read_login(other_version, 2, &fields, message, frame));
    const char *no_user[] = {("v" WIRE_VERSION)};
    assert_non_null(read_login(no_user, 1, &fields, message, frame));
    const char *twice[] = {("v" WIRE_VERSION), "ualice", "uroot"};
    assert_string_equal(read_login(twice, 3, &fields, message, frame), "a field given twice");
    const char *unknown[] = {("v" WIRE_VERSION), "ualice", "Zwhat"};
    assert_string_equal(read_login(unknown, 3, &fields, message, frame), "an unknown field");
    const char *option[] = {("v" WIRE_VERSION), "ualice", "ofailmode=safe"};
    assert_string_equal(read_login(option, 3, &fields, message, frame), "an unknown option");
    wire_message_free(message);
    wire_builder_free(frame);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_keeps_every_field),
        cmocka_unit_test(a_value_that_does_not_fit_fails_the_frame),
        cmocka_unit_test(malformed_payloads_are_refused),
        cmocka_unit_test(a_tag_given_twice_says_nothing),
        cmocka_unit_test(receive_bounds_time_size_and_end),
        cmocka_unit_test(send_and_receive_over_a_socket),
        cmocka_unit_test(login_requests_are_read_strictly),
    };
    return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
