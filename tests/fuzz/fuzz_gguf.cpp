// libFuzzer target for the GGUF reader. Any bytes must either parse or give loom::Error. A crash, a
// sanitizer report, another exception or a huge allocation is a bug. A file that parses must also survive
// what a model loader does with it, and writing it back must be stable: write(read(write(read(x)))) gives
// the same bytes as write(read(x)).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "formats/gguf.h"
#include "formats/gguf_writer.h"
#include "util/error.h"

namespace {

using namespace loom;

// Calls every accessor on every key, as a loader asking for the wrong type would.
void read_all_metadata(const GgufMetadata& meta) {
    for (const auto& entry : meta.entries()) {
        const std::string& key = entry.first;
        auto attempt = [](auto&& get) {
            try {
                get();
            } catch (const Error&) {
            }
        };
        attempt([&] { meta.get_uint(key); });
        attempt([&] { meta.get_int(key); });
        attempt([&] { meta.get_float(key); });
        attempt([&] { meta.get_bool(key); });
        attempt([&] { meta.get_string(key); });
        attempt([&] { meta.get_string_array(key); });
        attempt([&] { meta.get_float_array(key); });
        attempt([&] { meta.get_int_array(key); });
    }
}

// Everything the file holds, written back by GgufWriter. Throws Error if the writer refuses the contents
// (the reader accepts a few things the writer does not produce, such as 0-dimensional tensors).
std::string rewrite(const GgufFile& file) {
    GgufWriter writer;
    for (const auto& [key, value] : file.metadata().entries())
        writer.set(key, value);
    for (const StoredTensor& tensor : file.tensors())
        writer.add_tensor(tensor);
    std::ostringstream out;
    writer.write(out);
    return out.str();
}

std::span<const std::byte> as_bytes(const std::string& text) {
    return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
    std::string first;
    try {
        GgufFile file = GgufFile::parse(bytes, "fuzz input");
        read_all_metadata(file.metadata());
        TensorSet set = file.tensor_set();
        volatile uint8_t sink = 0;  // touch each tensor's first and last byte
        for (const StoredTensor& tensor : set.all())
            if (!tensor.data.empty())
                sink = sink ^ uint8_t(tensor.data.front()) ^ uint8_t(tensor.data.back());
        first = rewrite(file);
    } catch (const Error&) {
        return 0;
    }
    // What the writer wrote, the reader must read, and writing that again must give the same bytes.
    std::string second = rewrite(GgufFile::parse(as_bytes(first), "rewritten fuzz input"));
    if (second != first) std::abort();
    return 0;
}
