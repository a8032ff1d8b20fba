/* What a client sends phonemfad (and phonemfad the module): a frame read
 * from a socket, parsed, and read as a login request. Oracles: a reference
 * parser written differently, the round trip through the builder, and the
 * login reader's promises (fields inside the message, bounded). */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_helpers.h"
#include "login_wire.h"
#include "wire.h"

/* Count the fields the way the format is described, or -1. */
static long reference_count(const uint8_t *data, size_t size)
{
    long count = 0;
    if (size == 0 || size > WIRE_FRAME_MAX)
        return -1;
    for (size_t at = 1; at != size; count++) {
        if (size - at < 3 || count == WIRE_FIELDS_MAX)
            return -1;
        size_t length = (size_t)data[at + 1] * 256 + data[at + 2];
        if (length > size - at - 3)
            return -1;
        for (size_t k = 0; k < length; k++)
            if (data[at + 3 + k] == 0)
                return -1;
        at += 3 + length;
    }
    return count;
}

static void check_round_trip(const struct wire_message *message)
{
    struct wire_builder *frame = wire_builder_new();
    struct wire_message *again = wire_message_new();
    FUZZ_ASSERT(frame != NULL && again != NULL);
    wire_begin(frame, message->type);
    for (size_t i = 0; i < message->count; i++) {
        FUZZ_ASSERT(strlen(message->fields[i].value) == message->fields[i].length);
        wire_add(frame, message->fields[i].tag, message->fields[i].value);
    }
    FUZZ_ASSERT(wire_finish(frame) == 0);
    FUZZ_ASSERT(wire_parse(frame->data + WIRE_HEADER_SIZE, frame->length - WIRE_HEADER_SIZE, again) == 0);
    FUZZ_ASSERT(again->count == message->count && again->type == message->type);
    for (size_t i = 0; i < message->count; i++)
        FUZZ_ASSERT(again->fields[i].tag == message->fields[i].tag &&
                    strcmp(again->fields[i].value, message->fields[i].value) == 0);
    wire_message_free(again);
    wire_builder_free(frame);
}

static void check_login(const struct wire_message *message)
{
    struct login_fields fields;
    const char *const *all[] = {&fields.version, &fields.user, &fields.service, &fields.rhost,
                                &fields.tty, &fields.ruser, &fields.lang};
    if (login_wire_read(message, &fields) != NULL)
        return;
    FUZZ_ASSERT(fields.user != NULL && strcmp(fields.version, WIRE_VERSION) == 0);
    FUZZ_ASSERT(fields.unenrolled >= -1 && fields.unenrolled <= 1);
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const char *value = *all[i];
        if (value == NULL)
            continue;
        FUZZ_ASSERT(value >= message->storage && value < message->storage + sizeof message->storage);
        FUZZ_ASSERT(strlen(value) <= LOGIN_ITEM_MAX);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wire_message *message = wire_message_new();
    FUZZ_ASSERT(message != NULL);
    int parsed = wire_parse(data, size, message);
    FUZZ_ASSERT((parsed == 0) == (reference_count(data, size) >= 0));
    if (parsed == 0) {
        FUZZ_ASSERT((long)message->count == reference_count(data, size));
        check_round_trip(message);
        check_login(message);
    }
    /* The same bytes as a stream: header and all, through a socket. */
    int pair[2];
    FUZZ_ASSERT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair) == 0);
    size_t writable = size < 65536 ? size : 65536;
    FUZZ_ASSERT(writable == 0 || write(pair[1], data, writable) == (ssize_t)writable);
    close(pair[1]);
    if (wire_receive(pair[0], message, wire_deadline(1000)) == 0) {
        size_t length = ((size_t)data[0] << 24) | ((size_t)data[1] << 16) | ((size_t)data[2] << 8) | data[3];
        FUZZ_ASSERT(length >= 1 && length <= WIRE_FRAME_MAX && length + WIRE_HEADER_SIZE <= size);
        FUZZ_ASSERT(message->type == (char)data[WIRE_HEADER_SIZE]);
    } else {
        FUZZ_ASSERT(errno == ECONNRESET || errno == EPROTO);
    }
    close(pair[0]);
    wire_message_free(message);
    return 0;
}
