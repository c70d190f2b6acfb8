// A read-only memory map of a whole file: model weights are used in place, never copied.
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace loom {

class MappedFile {
  public:
    // Maps `path` read-only. Throws Error with the path and the system's reason if it cannot.
    explicit MappedFile(const std::string& path);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    std::span<const std::byte> bytes() const { return {data_, size_}; }
    size_t size() const { return size_; }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
    const std::byte* data_ = nullptr;
    size_t size_ = 0;
};

}  // namespace loom
