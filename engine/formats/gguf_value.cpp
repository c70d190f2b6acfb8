#include "formats/gguf_value.h"

#include <type_traits>
#include <utility>

#include "util/error.h"

namespace loom {

namespace {

template <class T>
constexpr bool kIsInteger = std::is_integral_v<T> && !std::is_same_v<T, bool>;

// The elements of `value` converted to the integer type Out, or std::nullopt if they are not integers.
// Throws Error if one does not fit (a negative count, a uint64 above INT64_MAX).
template <class Out>
std::optional<std::vector<Out>> integers_as(const GgufValue& value, const std::string& what) {
    return std::visit(
        [&](const auto& items) -> std::optional<std::vector<Out>> {
            using T = typename std::decay_t<decltype(items)>::value_type;
            if constexpr (!kIsInteger<T>) {
                return std::nullopt;
            } else {
                std::vector<Out> out;
                out.reserve(items.size());
                for (T item : items) {
                    if (!std::in_range<Out>(item))
                        fail(what, " holds ", +item, ", which is out of range here (",
                             std::is_signed_v<Out> ? "expected a 64-bit signed integer"
                                                   : "expected a non-negative integer",
                             ")");
                    out.push_back(static_cast<Out>(item));
                }
                return out;
            }
        },
        value.elements());
}

// The elements of `value` converted to the floating-point type Out (from floats or integers), or
// std::nullopt if they are booleans or strings.
template <class Out>
std::optional<std::vector<Out>> numbers_as(const GgufValue& value) {
    return std::visit(
        [](const auto& items) -> std::optional<std::vector<Out>> {
            using T = typename std::decay_t<decltype(items)>::value_type;
            if constexpr (kIsInteger<T> || std::is_floating_point_v<T>) {
                std::vector<Out> out;
                out.reserve(items.size());
                for (T item : items)
                    out.push_back(static_cast<Out>(item));
                return out;
            } else {
                return std::nullopt;
            }
        },
        value.elements());
}

}  // namespace

std::string_view gguf_value_type_name(GgufValueType type) {
    switch (type) {
        case GgufValueType::U8:
            return "uint8";
        case GgufValueType::I8:
            return "int8";
        case GgufValueType::U16:
            return "uint16";
        case GgufValueType::I16:
            return "int16";
        case GgufValueType::U32:
            return "uint32";
        case GgufValueType::I32:
            return "int32";
        case GgufValueType::F32:
            return "float32";
        case GgufValueType::Bool:
            return "bool";
        case GgufValueType::String:
            return "string";
        case GgufValueType::Array:
            return "array";
        case GgufValueType::U64:
            return "uint64";
        case GgufValueType::I64:
            return "int64";
        case GgufValueType::F64:
            return "float64";
    }
    return "unknown";
}

GgufValueType GgufValue::element_type() const {
    return std::visit(
        [](const auto& items) {
            using T = typename std::decay_t<decltype(items)>::value_type;
            return gguf_value_type_of<T>();
        },
        elements_);
}

size_t GgufValue::size() const {
    return std::visit([](const auto& items) { return items.size(); }, elements_);
}

std::string GgufValue::describe() const {
    std::string_view element = gguf_value_type_name(element_type());
    return is_array_ ? cat("an array of ", size(), " ", element) : cat("a ", element);
}

void GgufMetadata::set(std::string key, GgufValue value) {
    auto [it, inserted] = index_.emplace(key, entries_.size());
    if (inserted)
        entries_.emplace_back(std::move(key), std::move(value));
    else
        entries_[it->second].second = std::move(value);
}

const GgufValue* GgufMetadata::find(std::string_view key) const {
    auto it = index_.find(std::string(key));
    return it == index_.end() ? nullptr : &entries_[it->second].second;
}

void GgufMetadata::fail_type(std::string_view key, const GgufValue& value, std::string_view expected) const {
    fail(source_, ": metadata key '", key, "' holds ", value.describe(), ", expected ", expected);
}

void GgufMetadata::fail_missing(std::string_view key) const {
    fail(source_, " has no metadata key '", key, "'; the file is incomplete or not a model Loom supports");
}

const GgufValue* GgufMetadata::find_scalar(std::string_view key, std::string_view expected) const {
    const GgufValue* value = find(key);
    if (value && value->is_array()) fail_type(key, *value, expected);
    return value;
}

const GgufValue* GgufMetadata::find_array(std::string_view key, std::string_view expected) const {
    const GgufValue* value = find(key);
    if (value && !value->is_array()) fail_type(key, *value, expected);
    return value;
}

std::optional<uint64_t> GgufMetadata::get_uint(std::string_view key) const {
    constexpr std::string_view kExpected = "a non-negative integer";
    const GgufValue* value = find_scalar(key, kExpected);
    if (!value) return std::nullopt;
    auto items = integers_as<uint64_t>(*value, cat(source_, ": metadata key '", key, "'"));
    if (!items) fail_type(key, *value, kExpected);
    return items->front();
}

std::optional<int64_t> GgufMetadata::get_int(std::string_view key) const {
    constexpr std::string_view kExpected = "an integer";
    const GgufValue* value = find_scalar(key, kExpected);
    if (!value) return std::nullopt;
    auto items = integers_as<int64_t>(*value, cat(source_, ": metadata key '", key, "'"));
    if (!items) fail_type(key, *value, kExpected);
    return items->front();
}

std::optional<double> GgufMetadata::get_float(std::string_view key) const {
    constexpr std::string_view kExpected = "a number";
    const GgufValue* value = find_scalar(key, kExpected);
    if (!value) return std::nullopt;
    auto items = numbers_as<double>(*value);
    if (!items) fail_type(key, *value, kExpected);
    return items->front();
}

std::optional<bool> GgufMetadata::get_bool(std::string_view key) const {
    constexpr std::string_view kExpected = "a bool";
    const GgufValue* value = find_scalar(key, kExpected);
    if (!value) return std::nullopt;
    const auto* items = std::get_if<std::vector<bool>>(&value->elements());
    if (!items) fail_type(key, *value, kExpected);
    return items->front();
}

std::optional<std::string_view> GgufMetadata::get_string(std::string_view key) const {
    constexpr std::string_view kExpected = "a string";
    const GgufValue* value = find_scalar(key, kExpected);
    if (!value) return std::nullopt;
    const auto* items = std::get_if<std::vector<std::string>>(&value->elements());
    if (!items) fail_type(key, *value, kExpected);
    return std::string_view(items->front());
}

std::optional<std::span<const std::string>> GgufMetadata::get_string_array(std::string_view key) const {
    constexpr std::string_view kExpected = "an array of strings";
    const GgufValue* value = find_array(key, kExpected);
    if (!value) return std::nullopt;
    const auto* items = std::get_if<std::vector<std::string>>(&value->elements());
    if (!items) fail_type(key, *value, kExpected);
    return std::span<const std::string>(*items);
}

std::optional<std::vector<float>> GgufMetadata::get_float_array(std::string_view key) const {
    constexpr std::string_view kExpected = "an array of numbers";
    const GgufValue* value = find_array(key, kExpected);
    if (!value) return std::nullopt;
    auto items = numbers_as<float>(*value);
    if (!items) fail_type(key, *value, kExpected);
    return items;
}

std::optional<std::vector<int64_t>> GgufMetadata::get_int_array(std::string_view key) const {
    constexpr std::string_view kExpected = "an array of integers";
    const GgufValue* value = find_array(key, kExpected);
    if (!value) return std::nullopt;
    auto items = integers_as<int64_t>(*value, cat(source_, ": metadata key '", key, "'"));
    if (!items) fail_type(key, *value, kExpected);
    return items;
}

uint64_t GgufMetadata::require_uint(std::string_view key) const {
    auto value = get_uint(key);
    if (!value) fail_missing(key);
    return *value;
}

double GgufMetadata::require_float(std::string_view key) const {
    auto value = get_float(key);
    if (!value) fail_missing(key);
    return *value;
}

std::string_view GgufMetadata::require_string(std::string_view key) const {
    auto value = get_string(key);
    if (!value) fail_missing(key);
    return *value;
}

}  // namespace loom
