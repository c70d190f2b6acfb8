#include "formats/json_fields.h"

#include <fstream>

#include "util/error.h"

namespace loom {

using nlohmann::json;

json read_json_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("cannot open ", path.string());
    json value = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) fail(path.string(), " is not valid JSON");
    return value;
}

JsonFields::JsonFields(const json& object, std::string source) : object_(object), source_(std::move(source)) {
    if (!object_.is_object()) fail(source_, ": expected a JSON object");
}

const json* JsonFields::find(std::string_view key) const {
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) return nullptr;
    return &*it;
}

bool JsonFields::has(std::string_view key) const {
    return find(key) != nullptr;
}

void JsonFields::wrong_type(std::string_view key, const char* expected) const {
    fail(source_, ": field '", key, "' must be ", expected);
}

std::optional<int64_t> JsonFields::integer_if(std::string_view key) const {
    const json* value = find(key);
    if (!value) return std::nullopt;
    if (value->is_number_integer()) return value->get<int64_t>();
    if (value->is_number_float()) {
        double d = value->get<double>();
        if (d == static_cast<double>(static_cast<int64_t>(d))) return static_cast<int64_t>(d);
    }
    wrong_type(key, "an integer");
}

int64_t JsonFields::integer(std::string_view key) const {
    if (auto value = integer_if(key)) return *value;
    fail(source_, ": field '", key, "' is missing");
}

std::optional<double> JsonFields::number_if(std::string_view key) const {
    const json* value = find(key);
    if (!value) return std::nullopt;
    if (!value->is_number()) wrong_type(key, "a number");
    return value->get<double>();
}

double JsonFields::number(std::string_view key) const {
    if (auto value = number_if(key)) return *value;
    fail(source_, ": field '", key, "' is missing");
}

std::optional<bool> JsonFields::boolean_if(std::string_view key) const {
    const json* value = find(key);
    if (!value) return std::nullopt;
    if (!value->is_boolean()) wrong_type(key, "true or false");
    return value->get<bool>();
}

std::optional<std::string> JsonFields::string_if(std::string_view key) const {
    const json* value = find(key);
    if (!value) return std::nullopt;
    if (!value->is_string()) wrong_type(key, "a string");
    return value->get<std::string>();
}

std::string JsonFields::string(std::string_view key) const {
    if (auto value = string_if(key)) return *value;
    fail(source_, ": field '", key, "' is missing");
}

}  // namespace loom
