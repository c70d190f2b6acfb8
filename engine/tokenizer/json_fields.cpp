#include "tokenizer/json_fields.h"

#include <fstream>
#include <sstream>

#include "util/error.h"

namespace loom::tok {

Json read_json_file(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) fail("cannot open ", path.string());
    std::ostringstream contents;
    contents << file.rdbuf();
    if (!file.good() && !file.eof()) fail("cannot read ", path.string());
    try {
        return Json::parse(contents.str());
    } catch (const Json::exception& error) {
        fail(path.string(), " is not valid JSON: ", error.what());
    }
}

namespace {

const char* type_name(const Json& value) {
    return value.type_name();
}

}  // namespace

void JsonField::fail_here(std::string_view message) const {
    fail(file_, ": ", path_.empty() ? "the top level" : path_, " ", message);
}

bool JsonField::has(std::string_view key) const {
    return value_->is_object() && value_->contains(std::string(key));
}

JsonField JsonField::operator[](std::string_view key) const {
    const Json::object_t& members = object();
    auto it = members.find(std::string(key));
    const std::string child_path = path_.empty() ? std::string(key) : path_ + "." + std::string(key);
    if (it == members.end()) fail(file_, ": ", child_path, " is missing");
    return JsonField(it->second, file_, child_path);
}

std::optional<JsonField> JsonField::optional(std::string_view key) const {
    if (!value_->is_object()) return std::nullopt;
    auto it = value_->find(std::string(key));
    if (it == value_->end() || it->is_null()) return std::nullopt;
    return JsonField(*it, file_, path_.empty() ? std::string(key) : path_ + "." + std::string(key));
}

JsonField JsonField::at(size_t index) const {
    const Json::array_t& elements = array();
    if (index >= elements.size()) fail_here(cat("has no element ", index));
    return JsonField(elements[index], file_, cat(path_, "[", index, "]"));
}

const Json::object_t& JsonField::object() const {
    if (!value_->is_object()) fail_here(cat("must be an object, not ", type_name(*value_)));
    return value_->get_ref<const Json::object_t&>();
}

const Json::array_t& JsonField::array() const {
    if (!value_->is_array()) fail_here(cat("must be an array, not ", type_name(*value_)));
    return value_->get_ref<const Json::array_t&>();
}

const std::string& JsonField::string() const {
    if (!value_->is_string()) fail_here(cat("must be a string, not ", type_name(*value_)));
    return value_->get_ref<const std::string&>();
}

bool JsonField::boolean() const {
    if (!value_->is_boolean()) fail_here(cat("must be true or false, not ", type_name(*value_)));
    return value_->get<bool>();
}

int64_t JsonField::integer() const {
    if (!value_->is_number_integer()) fail_here(cat("must be an integer, not ", type_name(*value_)));
    return value_->get<int64_t>();
}

double JsonField::number() const {
    if (!value_->is_number()) fail_here(cat("must be a number, not ", type_name(*value_)));
    return value_->get<double>();
}

bool JsonField::boolean_or(std::string_view key, bool fallback) const {
    auto field = optional(key);
    return field ? field->boolean() : fallback;
}

std::string JsonField::string_or(std::string_view key, std::string fallback) const {
    auto field = optional(key);
    return field ? field->string() : fallback;
}

}  // namespace loom::tok
