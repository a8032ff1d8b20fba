/* phonemfa-setup's questions, asked from phonemfad's setup worker: the
 * prompt goes to the client, which reads the line on its terminal (echo
 * off for hidden answers) and sends it back. The client's connection is
 * the worker's standard input. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "setup_terminal.h"
#include "setup_worker.h"
#include "wire.h"

int setup_read_line(const char *prompt, bool hide, char *out, size_t out_size)
{
    struct wire_builder *frame = wire_builder_new();
    struct wire_message *reply = wire_message_new();
    char limit[24];
    int result = SETUP_INPUT_END;

    out[0] = '\0';
    (void)fflush(stdout);
    (void)fflush(stderr);
    if (frame == NULL || reply == NULL)
        goto out;
    (void)snprintf(limit, sizeof limit, "%zu", out_size - 1);
    wire_begin(frame, WIRE_PROMPT);
    wire_add(frame, WIRE_F_ECHO, hide ? "off" : "on");
    wire_add(frame, WIRE_F_TEXT, prompt);
    wire_add(frame, WIRE_F_MAX, limit);
    if (wire_finish(frame) != 0 || wire_send(STDIN_FILENO, frame, wire_deadline(SETUP_SEND_TIMEOUT_MS)) != 0 ||
        wire_receive(STDIN_FILENO, reply, wire_deadline(SETUP_ANSWER_TIMEOUT_MS)) != 0)
        goto out;
    const char *text = wire_get(reply, WIRE_F_TEXT, NULL);
    const char *reason = wire_get(reply, WIRE_F_REASON, NULL);
    if (reply->type == WIRE_ANSWER && reply->count == 1 && text != NULL) {
        if (strlen(text) < out_size) {
            memcpy(out, text, strlen(text) + 1);
            result = 0;
        } else {
            result = SETUP_INPUT_TOO_LONG;
        }
    } else if (reply->type == WIRE_NO_ANSWER && reason != NULL && strcmp(reason, "too_long") == 0) {
        result = SETUP_INPUT_TOO_LONG;
    } else if (reply->type == WIRE_NO_ANSWER && reason != NULL && strcmp(reason, "invalid") == 0) {
        result = SETUP_INPUT_INVALID;
    }
out:
    wire_message_free(reply);
    wire_builder_free(frame);
    return result;
}
