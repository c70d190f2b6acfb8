// Reading the JSON files of a model folder with errors that name the file and the field: "tokenizer.json:
// model.merges[12] must be a string or a pair of strings", never a bare nlohmann exception.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace loom::tok {

using Json = nlohmann::json;

// Parses a whole file. Throws Error naming the file when it cannot be read or is not JSON.
Json read_json_file(const std::filesystem::path& path);

// A JSON value and where it sits, for error messages: {"tokenizer.json", "model.vocab"}.
class JsonField {
  public:
    JsonField(const Json& value, std::string file, std::string path)
        : value_(&value), file_(std::move(file)), path_(std::move(path)) {}

    const Json& json() const { return *value_; }
    const std::string& path() const { return path_; }
    bool is_null() const { return value_->is_null(); }
    bool has(std::string_view key) const;

    // Members and elements; the required ones throw Error when absent.
    JsonField operator[](std::string_view key) const;               // required
    std::optional<JsonField> optional(std::string_view key) const;  // absent or null -> nullopt
    JsonField at(size_t index) const;

    // Typed values; each throws Error saying what type was expected.
    const Json::object_t& object() const;
    const Json::array_t& array() const;
    const std::string& string() const;
    bool boolean() const;
    int64_t integer() const;
    double number() const;

    // Optional members with a default.
    bool boolean_or(std::string_view key, bool fallback) const;
    std::string string_or(std::string_view key, std::string fallback) const;

    // Throws Error: "<file>: <path> <message>".
    [[noreturn]] void fail_here(std::string_view message) const;

  private:
    const Json* value_;
    std::string file_;
    std::string path_;
};

}  // namespace loom::tok
