/* phonemfa-setup's work, done in phonemfad: one worker process per client,
 * started fresh from the daemon's own executable (no threads, nothing shared
 * with the logins), root, with the client's connection as standard input.
 * Its stdout and stderr go to the client as OUTPUT frames, its questions as
 * prompts (setup_relay.c). */
#ifndef PHONEMFA_SETUP_WORKER_H
#define PHONEMFA_SETUP_WORKER_H

#define SETUP_WORKER_FLAG "--setup-worker"
#define SETUP_ANSWER_TIMEOUT_MS (10L * 60L * 1000L)
#define SETUP_SEND_TIMEOUT_MS 10000
#define SETUP_ARGS_MAX 32
#define SETUP_ARG_MAX (16 * 1024)

int setup_worker_main(int argc, char **argv);

#endif
