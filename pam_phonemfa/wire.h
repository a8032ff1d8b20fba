/* The module ↔ phonemfad protocol (docs/phonemfad-protocol.md): framed,
 * versioned messages of tagged string fields over a UNIX stream socket.
 * libc only: the PAM module and phonemfa-setup link it without the core.
 *
 * A frame is a 4-byte big-endian payload length (1..WIRE_FRAME_MAX), then
 * the payload: one byte of message type, then fields, each a one-byte tag,
 * a 2-byte big-endian length and that many bytes (no NUL among them). */
#ifndef PHONEMFA_WIRE_H
#define PHONEMFA_WIRE_H

#include <stdbool.h>
#include <stddef.h>

#define WIRE_VERSION "1"
#define WIRE_FRAME_MAX (32 * 1024)
#define WIRE_FIELDS_MAX 40
#define WIRE_HEADER_SIZE 4

/* Message types. */
enum {
    WIRE_LOGIN = 'L',   /* client: verify a user's second factor */
    WIRE_ANSWER = 'A',  /* client: the answer to the last prompt */
    WIRE_NO_ANSWER = 'N', /* client: the conversation failed, no answer */
    WIRE_PROMPT = 'P',  /* daemon: ask the user (style, text) */
    WIRE_TELL = 'T',    /* daemon: a message for the user */
    WIRE_RESULT = 'R',  /* daemon: the end (outcome, reason; for setup, exit) */
    WIRE_SETUP = 'S',   /* client: run phonemfa-setup (args) */
    WIRE_OUTPUT = 'O',  /* daemon: text for the setup client's stdout or stderr */
};

/* Field tags. */
enum {
    WIRE_F_VERSION = 'v',
    WIRE_F_USER = 'u',
    WIRE_F_SERVICE = 's',
    WIRE_F_RHOST = 'h',
    WIRE_F_TTY = 't',
    WIRE_F_RUSER = 'r',
    WIRE_F_LANG = 'l',
    WIRE_F_OPTION = 'o',   /* repeatable: a module option ("unenrolled=ignore") */
    WIRE_F_TEXT = 'x',
    WIRE_F_ECHO = 'e',     /* "on" / "off" */
    WIRE_F_OUTCOME = 'c',
    WIRE_F_REASON = 'w',
    WIRE_F_ARG = 'a',         /* repeatable: a phonemfa-setup argument, in order */
    WIRE_F_INTERACTIVE = 'i', /* "yes": the setup client runs on a terminal */
    WIRE_F_STREAM = 'n',      /* "1" stdout / "2" stderr */
    WIRE_F_MAX = 'k',         /* the longest answer a prompt takes */
    WIRE_F_EXIT = 'z',        /* phonemfa-setup's exit status */
};

struct wire_field {
    char tag;
    const char *value; /* NUL-terminated, inside the message's storage */
    size_t length;
};

/* About 64 KiB: allocate it, never put it on a PAM application's stack. */
struct wire_message {
    char type;
    size_t count;
    struct wire_field fields[WIRE_FIELDS_MAX];
    char storage[WIRE_FRAME_MAX + WIRE_FIELDS_MAX];
    unsigned char raw[WIRE_FRAME_MAX]; /* the payload as received */
};

/* Allocate it too. */
struct wire_builder {
    unsigned char data[WIRE_HEADER_SIZE + WIRE_FRAME_MAX];
    size_t length;
    bool overflow;
};

void wire_begin(struct wire_builder *builder, char type);
/* A NULL value adds nothing; a value with a NUL byte cannot be expressed. */
void wire_add(struct wire_builder *builder, char tag, const char *value);
/* 0 with the frame complete, -1 when it did not fit. */
int wire_finish(struct wire_builder *builder);

/* Parse one payload (without its length header). Strict: a field running
 * past the end, a NUL inside a value, an empty payload or too many fields
 * is an error (-1). Tags are not interpreted here. */
int wire_parse(const unsigned char *payload, size_t length, struct wire_message *message);

/* The value of the only field with this tag; NULL if absent. A tag given
 * twice makes it NULL too (*duplicate set), so a message cannot say two
 * things at once. */
const char *wire_get(const struct wire_message *message, char tag, bool *duplicate);

/* Blocking I/O on a non-blocking socket, bounded by an absolute
 * CLOCK_MONOTONIC deadline in milliseconds (wire_deadline). 0, or -1 with
 * errno (ETIMEDOUT at the deadline, ECONNRESET at end of stream, EPROTO
 * for a bad frame). Writes never raise SIGPIPE. */
long wire_now_ms(void);
long wire_deadline(long milliseconds_from_now);
int wire_send(int fd, const struct wire_builder *builder, long deadline_ms);
int wire_receive(int fd, struct wire_message *message, long deadline_ms);

/* Wipe what a message held (answers carry codes). */
void wire_message_clear(struct wire_message *message);
struct wire_message *wire_message_new(void);
void wire_message_free(struct wire_message *message); /* wipes it */
struct wire_builder *wire_builder_new(void);
void wire_builder_free(struct wire_builder *builder); /* wipes it */
void wire_builder_clear(struct wire_builder *builder);

#endif
