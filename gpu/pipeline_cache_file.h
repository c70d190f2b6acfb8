// Pipeline caches saved between runs: where they are kept, whether one fits a device, reading and writing.
//
// The data of a VkPipelineCache is the driver's own; Vulkan defines only its header, which names the device
// (vendorID, deviceID) and the driver build (pipelineCacheUUID, changed whenever its compiled code would
// differ). So there is one file per device and driver build, named by the three, and its data is given to
// the driver only when its header names them too: a missing, short, corrupt or foreign file means starting
// with an empty cache, never an error. The cache only saves time, so a failure to write it is ignored too.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <vector>

#include "gpu/instance.h"

namespace loom::gpu {

// The most bytes of pipeline cache read or written; a larger file is ignored, a larger cache not saved.
constexpr size_t kMaxPipelineCacheBytes = size_t{256} << 20;

// The file holding `device`'s pipeline cache in the folder `options` choose (VulkanOptions::
// pipeline_cache_folder, else the user's cache folder). Empty when the cache is kept in memory only: turned
// off, or no folder found (neither XDG_CACHE_HOME nor HOME set).
std::filesystem::path pipeline_cache_file(const VulkanOptions& options, const PhysicalDevice& device);

// Whether `data` starts with a pipeline cache header (version one) naming `device` and its driver build.
bool pipeline_cache_fits(std::span<const std::byte> data, const PhysicalDevice& device);

// The contents of `file` when it is a pipeline cache for `device` of at most kMaxPipelineCacheBytes; empty
// otherwise (missing, unreadable, too large, or not for this device and driver).
std::vector<std::byte> read_pipeline_cache(const std::filesystem::path& file, const PhysicalDevice& device);

// Replaces `file` by `data`, creating its folders: written to a temporary file in the same folder, then
// renamed over it, so that `file` always holds a whole cache, the old one or the new. Returns false when
// that failed; the temporary file is then removed.
bool write_file_atomically(const std::filesystem::path& file, std::span<const std::byte> data);

}  // namespace loom::gpu
