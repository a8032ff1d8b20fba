/* Opening files that decide security (config, secrets, phone store) so that
 * nobody but root can have put or changed them: no symlinks, root-owned,
 * not writable by group or others, and the same for the directory holding
 * them. Checks are made on the opened descriptor, never on the path. */
#ifndef PHONEMFA_SAFE_FILE_H
#define PHONEMFA_SAFE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#define SAFE_FILE_ERROR_MAX 512

struct safe_file_error {
    char message[SAFE_FILE_ERROR_MAX];
};

enum safe_file_access {
    SAFE_FILE_READABLE_BY_OTHERS_OK,
    SAFE_FILE_PRIVATE, /* holds a secret: no access at all for others */
    SAFE_FILE_BINARY,  /* shipped data: readable by others, may hold NUL bytes, any
                        * number of hard links (a .mo catalogue) */
};

/* Read a whole root-owned regular file of at most max_size bytes into a
 * NUL-terminated buffer (refused if it holds a NUL byte, unless binary) (caller frees; wipe it if it held a secret). The
 * file's permission bits go to *mode when mode is not NULL. */
int safe_read_file(const char *path, size_t max_size, enum safe_file_access access,
                   char **content, size_t *length, unsigned *mode, struct safe_file_error *error);

/* Open a root-owned directory not writable by group or others. */
int safe_open_directory(const char *path, struct safe_file_error *error);

enum safe_object {
    SAFE_DIRECTORY,
    SAFE_FILE, /* exactly one link: no second name elsewhere */
    /* A record read without a lock: a writer may have renamed a new file
     * over it since it was opened, leaving it no link. What was opened is
     * still the whole record as it was then, so no link is as good as one. */
    SAFE_FILE_MAYBE_REPLACED,
    /* Shipped read-only data (a .mo catalogue): any number of links. A
     * second name changes nothing of what root's file says, and systems
     * that deduplicate /usr (ostree) give every file several. */
    SAFE_FILE_ANY_LINKS,
};

/* Check an already opened descriptor: root-owned, not group/world writable,
 * and the type and link count kind asks for. what names it in the message. */
bool safe_check_owner_mode(const struct stat *st, const char *what, enum safe_object kind,
                           struct safe_file_error *error);

/* Read at most max_size bytes from an open regular file descriptor. */
int safe_read_descriptor(int fd, const char *what, size_t max_size, char **content,
                         size_t *length, struct safe_file_error *error);

#endif
