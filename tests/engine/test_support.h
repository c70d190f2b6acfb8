// Helpers shared by the engine tests.
#pragma once

#include <QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>

#include "util/error.h"

namespace loom::test {

inline std::filesystem::path data_dir() {
    return LOOM_TEST_DATA_DIR;
}
inline std::filesystem::path resources_dir() {
    return LOOM_RESOURCES_DIR;
}

inline void write_file(const std::filesystem::path& path, const std::string& bytes) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// ||a - b|| / ||b||: the error measure of the numerical tests.
inline double relative_error(std::span<const float> a, std::span<const float> b) {
    double diff = 0, norm = 0;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
        diff += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
        norm += double(b[i]) * b[i];
    }
    return std::sqrt(diff) / std::max(std::sqrt(norm), 1e-30);
}

// Runs `action` and checks that it throws loom::Error whose message contains `expected`.
template <class Action>
void expect_error(Action&& action, const std::string& expected) {
    try {
        action();
    } catch (const Error& e) {
        std::string message = e.what();
        if (message.find(expected) == std::string::npos)
            QFAIL(("error message '" + message + "' does not mention '" + expected + "'").c_str());
        return;
    }
    QFAIL(("expected an error mentioning '" + expected + "', got none").c_str());
}

}  // namespace loom::test
