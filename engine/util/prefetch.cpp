#include "util/prefetch.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "util/error.h"

namespace loom {

size_t prefetch_distance(const char* text) {
    if (!text || !*text) return kDefaultPrefetchAheadBytes;
    char* end = nullptr;
    errno = 0;
    const unsigned long long value = std::strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || !std::isdigit(static_cast<unsigned char>(text[0])) ||
        value > kMaxPrefetchAheadBytes)
        fail("LOOM_PREFETCH='", text, "' is not a prefetch distance: give bytes from 0 (off) to ",
             kMaxPrefetchAheadBytes, ", e.g. ", kDefaultPrefetchAheadBytes);
    return static_cast<size_t>(value);
}

size_t prefetch_ahead_bytes() {
    static const size_t bytes = prefetch_distance(std::getenv("LOOM_PREFETCH"));
    return bytes;
}

}  // namespace loom
