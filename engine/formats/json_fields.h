// Reading fields of a JSON object (config.json, tokenizer_config.json) with errors that name the file and
// the field: "config.json: field 'hidden_size' is missing".
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace loom {

// Parses a JSON file. Throws Error naming the file if it is missing or not valid JSON.
nlohmann::json read_json_file(const std::filesystem::path& path);

class JsonFields {
  public:
    JsonFields(const nlohmann::json& object, std::string source);

    bool has(std::string_view key) const;  // present and not null
    int64_t integer(std::string_view key) const;
    std::optional<int64_t> integer_if(std::string_view key) const;
    double number(std::string_view key) const;
    std::optional<double> number_if(std::string_view key) const;
    std::optional<bool> boolean_if(std::string_view key) const;
    std::string string(std::string_view key) const;
    std::optional<std::string> string_if(std::string_view key) const;
    const nlohmann::json* find(std::string_view key) const;  // nullptr when absent or null

    const std::string& source() const { return source_; }

  private:
    [[noreturn]] void wrong_type(std::string_view key, const char* expected) const;
    const nlohmann::json& object_;
    std::string source_;
};

}  // namespace loom
