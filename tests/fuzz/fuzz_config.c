/* The configuration file. Oracles: an accepted configuration keeps the
 * invariants the rest of the module relies on, and nothing leaks (libconfig
 * 1.5 leaked on strings where none may stand: config.c refuses those first;
 * corpus/config/string-* are the reproducers). */
#include "fuzz_helpers.h"

#include <sys/socket.h>

#include "config.h"
#include "user_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_string(data, size);
    struct phonemfa_config *config = NULL;
    struct config_error error;

    if (config_parse_text("/etc/phonemfa/phonemfa.conf", text, &config, &error) == 0) {
        FUZZ_ASSERT(config->url_count >= 1 && config->url_count <= CONFIG_MAX_URLS);
        for (size_t i = 0; i < config->url_count; i++)
            FUZZ_ASSERT(strncmp(config->urls[i], "https://", 8) == 0);
        FUZZ_ASSERT(config->store_directory != NULL && config->store_directory[0] == '/');
        FUZZ_ASSERT(config->state_directory != NULL && config->state_directory[0] == '/');
        FUZZ_ASSERT(config->sends_per_user <= STATE_MAX_EVENTS && config->lockout_failures <= STATE_MAX_EVENTS);
        FUZZ_ASSERT(config->remember_parts & REMEMBER_RHOST);
        FUZZ_ASSERT(config->allowed_channels != 0);
        for (size_t i = 0; i < config->trusted_network_count; i++)
            FUZZ_ASSERT(config->trusted_networks[i].prefix_length <=
                        (config->trusted_networks[i].family == AF_INET ? 32u : 128u));
        config_free(config);
    } else {
        FUZZ_ASSERT(config == NULL);
        FUZZ_ASSERT(error.message[0] != '\0');
    }
    free(text);
    return 0;
}
