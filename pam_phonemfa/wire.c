#include "wire.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

void wire_begin(struct wire_builder *builder, char type)
{
    builder->length = WIRE_HEADER_SIZE;
    builder->overflow = false;
    builder->data[builder->length++] = (unsigned char)type;
}

void wire_add(struct wire_builder *builder, char tag, const char *value)
{
    if (value == NULL)
        return;
    size_t length = strlen(value);
    if (length > 0xffff || builder->length + 3 + length > sizeof builder->data) {
        builder->overflow = true;
        return;
    }
    builder->data[builder->length++] = (unsigned char)tag;
    builder->data[builder->length++] = (unsigned char)(length >> 8);
    builder->data[builder->length++] = (unsigned char)(length & 0xff);
    memcpy(builder->data + builder->length, value, length);
    builder->length += length;
}

int wire_finish(struct wire_builder *builder)
{
    if (builder->overflow)
        return -1;
    size_t payload = builder->length - WIRE_HEADER_SIZE;
    builder->data[0] = (unsigned char)(payload >> 24);
    builder->data[1] = (unsigned char)(payload >> 16);
    builder->data[2] = (unsigned char)(payload >> 8);
    builder->data[3] = (unsigned char)payload;
    return 0;
}

int wire_parse(const unsigned char *payload, size_t length, struct wire_message *message)
{
    size_t at = 1, out = 0;

    message->count = 0;
    if (length == 0 || length > WIRE_FRAME_MAX)
        return -1;
    message->type = (char)payload[0];
    while (at < length) {
        if (message->count == WIRE_FIELDS_MAX || length - at < 3)
            return -1;
        char tag = (char)payload[at];
        size_t field_length = ((size_t)payload[at + 1] << 8) | payload[at + 2];
        at += 3;
        if (field_length > length - at || memchr(payload + at, '\0', field_length) != NULL)
            return -1;
        /* Each value is copied with a NUL after it: storage holds the
         * payload's bytes plus one per field, so it always fits. */
        char *value = message->storage + out;
        memcpy(value, payload + at, field_length);
        value[field_length] = '\0';
        out += field_length + 1;
        message->fields[message->count++] =
            (struct wire_field){.tag = tag, .value = value, .length = field_length};
        at += field_length;
    }
    return 0;
}

const char *wire_get(const struct wire_message *message, char tag, bool *duplicate)
{
    const char *found = NULL;

    for (size_t i = 0; i < message->count; i++) {
        if (message->fields[i].tag != tag)
            continue;
        if (found != NULL) {
            if (duplicate != NULL)
                *duplicate = true;
            return NULL;
        }
        found = message->fields[i].value;
    }
    return found;
}

long wire_now_ms(void)
{
    struct timespec now;

    if (clock_gettime(CLOCK_MONOTONIC, &now) != 0)
        return 0;
    return (long)now.tv_sec * 1000L + now.tv_nsec / 1000000L;
}

long wire_deadline(long milliseconds_from_now)
{
    return wire_now_ms() + milliseconds_from_now;
}

/* Wait for fd to become ready for events before the deadline. */
static int wait_ready(int fd, short events, long deadline_ms)
{
    for (;;) {
        long left = deadline_ms - wire_now_ms();
        if (left <= 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        struct pollfd pfd = {.fd = fd, .events = events};
        int rc = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
        if (rc < 0 && errno != EINTR)
            return -1;
        if (rc > 0) {
            if ((pfd.revents & POLLNVAL) != 0) {
                errno = EBADF;
                return -1;
            }
            return 0;
        }
    }
}

int wire_send(int fd, const struct wire_builder *builder, long deadline_ms)
{
    size_t sent = 0;

    while (sent < builder->length) {
        ssize_t n = send(fd, builder->data + sent, builder->length - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            sent += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (wait_ready(fd, POLLOUT, deadline_ms) != 0)
                return -1;
            continue;
        }
        return -1;
    }
    return 0;
}

static int receive_exactly(int fd, unsigned char *buffer, size_t length, long deadline_ms)
{
    size_t got = 0;

    while (got < length) {
        ssize_t n = recv(fd, buffer + got, length - got, MSG_DONTWAIT);
        if (n > 0) {
            got += (size_t)n;
            continue;
        }
        if (n == 0) {
            errno = ECONNRESET;
            return -1;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
        if (wait_ready(fd, POLLIN, deadline_ms) != 0)
            return -1;
    }
    return 0;
}

int wire_receive(int fd, struct wire_message *message, long deadline_ms)
{
    unsigned char header[WIRE_HEADER_SIZE];
    unsigned char *payload = message->raw;

    message->count = 0;
    if (receive_exactly(fd, header, sizeof header, deadline_ms) != 0)
        return -1;
    size_t length = ((size_t)header[0] << 24) | ((size_t)header[1] << 16) | ((size_t)header[2] << 8) | header[3];
    if (length == 0 || length > WIRE_FRAME_MAX) {
        errno = EPROTO;
        return -1;
    }
    int rc = receive_exactly(fd, payload, length, deadline_ms);
    if (rc == 0 && wire_parse(payload, length, message) != 0) {
        errno = EPROTO;
        rc = -1;
    }
    explicit_bzero(payload, length);
    return rc;
}

void wire_message_clear(struct wire_message *message)
{
    explicit_bzero(message, sizeof *message);
}

void wire_builder_clear(struct wire_builder *builder)
{
    explicit_bzero(builder->data, builder->length);
    builder->length = 0;
}

struct wire_message *wire_message_new(void)
{
    return calloc(1, sizeof(struct wire_message));
}

void wire_message_free(struct wire_message *message)
{
    if (message == NULL)
        return;
    wire_message_clear(message);
    free(message);
}

struct wire_builder *wire_builder_new(void)
{
    return calloc(1, sizeof(struct wire_builder));
}

void wire_builder_free(struct wire_builder *builder)
{
    if (builder == NULL)
        return;
    explicit_bzero(builder, sizeof *builder);
    free(builder);
}
