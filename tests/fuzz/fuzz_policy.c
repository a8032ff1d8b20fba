/* Trusted networks (CIDR) and the address checks on PAM_RHOST, which any
 * SSH client influences. Oracles: a prefix never exceeds the family's
 * width, and an address is trusted only when a configured range holds it. */
#include "fuzz_helpers.h"

#include <arpa/inet.h>

#include "config.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *split = memchr(data, '\n', size);
    size_t network_length = split ? (size_t)(split - data) : size;
    char *network = fuzz_string(data, network_length);
    char *address = split ? fuzz_string(split + 1, size - network_length - 1) : fuzz_string(data, 0);
    char text[1024];
    struct phonemfa_config *config = NULL;
    struct config_error error;

    if (strchr(network, '"') == NULL && strchr(network, '\\') == NULL && network_length < 200) {
        (void)snprintf(text, sizeof text,
                       "service: { urls = [\"https://a.example\"]; token = \"t\"; };\n"
                       "access: { trusted_networks = [ \"%s\" ]; };\n", network);
        if (config_parse_text("/etc/phonemfa/phonemfa.conf", text, &config, &error) == 0) {
            FUZZ_ASSERT(config->trusted_network_count == 1);
            const struct network *range = &config->trusted_networks[0];
            FUZZ_ASSERT(range->prefix_length <= (range->family == AF_INET ? 32u : 128u));
            if (policy_address_in(config, address)) {
                unsigned char parsed[16];
                FUZZ_ASSERT(inet_pton(AF_INET, address, parsed) == 1 || inet_pton(AF_INET6, address, parsed) == 1);
            }
            config_free(config);
        }
    }
    free(network);
    free(address);
    return 0;
}
