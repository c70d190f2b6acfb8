#include "gpu/pipeline_cache_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace loom::gpu {

namespace fs = std::filesystem;

namespace {

// The header of a pipeline cache (VkPipelineCacheHeaderVersionOne): header size, header version, vendor ID
// and device ID, each 32 bits, then the cache UUID.
constexpr size_t kHeaderBytes = 16 + VK_UUID_SIZE;

// The header's numbers are little-endian whatever the host's byte order.
uint32_t little_endian_u32(std::span<const std::byte> data, size_t offset) {
    uint32_t value = 0;
    for (size_t i = 0; i < 4; ++i)
        value |= std::to_integer<uint32_t>(data[offset + i]) << (8 * i);
    return value;
}

// Where caches go when no folder is given: the XDG base directory specification's cache folder, whose
// variable counts only when it holds an absolute path.
fs::path user_cache_folder() {
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    if (xdg && fs::path(xdg).is_absolute()) return fs::path(xdg) / "loom" / "vulkan";
    const char* home = std::getenv("HOME");
    if (home && *home) return fs::path(home) / ".cache" / "loom" / "vulkan";
    return {};
}

std::string hex(std::span<const uint8_t> bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string text;
    for (uint8_t byte : bytes) {
        text += kDigits[byte >> 4];
        text += kDigits[byte & 15];
    }
    return text;
}

std::string hex(uint32_t value) {
    const uint8_t bytes[] = {static_cast<uint8_t>(value >> 24), static_cast<uint8_t>(value >> 16),
                             static_cast<uint8_t>(value >> 8), static_cast<uint8_t>(value)};
    return hex(bytes);
}

// Writes all of `data` to `fd`, going on after interruptions and partial writes.
bool write_all(int fd, std::span<const std::byte> data) {
    while (!data.empty()) {
        ssize_t written = ::write(fd, data.data(), data.size());
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) return false;
        data = data.subspan(static_cast<size_t>(written));
    }
    return true;
}

}  // namespace

fs::path pipeline_cache_file(const VulkanOptions& options, const PhysicalDevice& device) {
    if (!options.pipeline_cache_on_disk) return {};
    fs::path folder =
        options.pipeline_cache_folder.empty() ? user_cache_folder() : fs::path(options.pipeline_cache_folder);
    if (folder.empty()) return {};
    return folder / ("pipelines-" + hex(device.vendor_id) + "-" + hex(device.device_id) + "-" +
                     hex(device.pipeline_cache_uuid) + ".bin");
}

bool pipeline_cache_fits(std::span<const std::byte> data, const PhysicalDevice& device) {
    if (data.size() < kHeaderBytes) return false;
    const uint32_t header_bytes = little_endian_u32(data, 0);
    return header_bytes >= kHeaderBytes && header_bytes <= data.size() &&
           little_endian_u32(data, 4) == VK_PIPELINE_CACHE_HEADER_VERSION_ONE &&
           little_endian_u32(data, 8) == device.vendor_id &&
           little_endian_u32(data, 12) == device.device_id &&
           std::memcmp(data.data() + 16, device.pipeline_cache_uuid.data(), VK_UUID_SIZE) == 0;
}

std::vector<std::byte> read_pipeline_cache(const fs::path& file, const PhysicalDevice& device) {
    // The size comes from the open file, not its name: another process may rename a new cache over it.
    std::ifstream in(file, std::ios::binary | std::ios::ate);
    if (!in) return {};
    const std::streamoff size = in.tellg();
    if (size < 0 || static_cast<uint64_t>(size) > kMaxPipelineCacheBytes) return {};
    std::vector<std::byte> data(static_cast<size_t>(size));
    in.seekg(0);
    if (!in.read(reinterpret_cast<char*>(data.data()), size)) return {};
    if (!pipeline_cache_fits(data, device)) return {};
    return data;
}

bool write_file_atomically(const fs::path& file, std::span<const std::byte> data) {
    std::error_code error;
    fs::create_directories(file.parent_path(), error);
    if (error) return false;
    // A name of its own, so that processes saving at the same time never write into one file.
    std::string temporary = file.string() + ".XXXXXX";
    const int fd = ::mkstemp(temporary.data());
    if (fd < 0) return false;
    // Flushed before the rename, so that after a crash the name holds the old cache or the new, not a hole.
    bool written = write_all(fd, data) && ::fsync(fd) == 0;
    written = ::close(fd) == 0 && written;
    if (written && std::rename(temporary.c_str(), file.c_str()) == 0) return true;
    ::unlink(temporary.c_str());
    return false;
}

}  // namespace loom::gpu
