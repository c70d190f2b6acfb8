// GGUF metadata: typed values under string keys ("llama.block_count" = uint32 5), kept in file order.
// GgufMetadata is what the reader (gguf.h) produces and what the writer (gguf_writer.h) consumes; the model
// loader reads hyper-parameters through its typed accessors.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace loom {

// Value type codes as stored in a GGUF file.
enum class GgufValueType : uint32_t {
    U8 = 0,
    I8 = 1,
    U16 = 2,
    I16 = 3,
    U32 = 4,
    I32 = 5,
    F32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    U64 = 10,
    I64 = 11,
    F64 = 12,
};
inline constexpr uint32_t kLastGgufValueType = 12;

// The name the GGUF specification gives a type: "uint32", "float32", "string", "array".
std::string_view gguf_value_type_name(GgufValueType type);

// The GGUF type of a C++ element type: uint8_t -> U8, float -> F32, std::string -> String...
template <class T>
constexpr GgufValueType gguf_value_type_of() {
    if constexpr (std::is_same_v<T, uint8_t>)
        return GgufValueType::U8;
    else if constexpr (std::is_same_v<T, int8_t>)
        return GgufValueType::I8;
    else if constexpr (std::is_same_v<T, uint16_t>)
        return GgufValueType::U16;
    else if constexpr (std::is_same_v<T, int16_t>)
        return GgufValueType::I16;
    else if constexpr (std::is_same_v<T, uint32_t>)
        return GgufValueType::U32;
    else if constexpr (std::is_same_v<T, int32_t>)
        return GgufValueType::I32;
    else if constexpr (std::is_same_v<T, uint64_t>)
        return GgufValueType::U64;
    else if constexpr (std::is_same_v<T, int64_t>)
        return GgufValueType::I64;
    else if constexpr (std::is_same_v<T, float>)
        return GgufValueType::F32;
    else if constexpr (std::is_same_v<T, double>)
        return GgufValueType::F64;
    else if constexpr (std::is_same_v<T, bool>)
        return GgufValueType::Bool;
    else if constexpr (std::is_same_v<T, std::string>)
        return GgufValueType::String;
    else
        static_assert(sizeof(T) == 0, "not a GGUF element type");
}

// One metadata value: a scalar or an array of scalars, stored in exactly the C++ type of its GGUF type so
// that writing it back gives the same bytes. (GGUF allows arrays of arrays; no model uses them and Loom
// refuses them.)
class GgufValue {
  public:
    // A scalar is held as a one-element vector.
    using Elements =
        std::variant<std::vector<uint8_t>, std::vector<int8_t>, std::vector<uint16_t>, std::vector<int16_t>,
                     std::vector<uint32_t>, std::vector<int32_t>, std::vector<uint64_t>, std::vector<int64_t>,
                     std::vector<float>, std::vector<double>, std::vector<bool>, std::vector<std::string>>;

    // GgufValue::scalar(uint32_t{5}), GgufValue::scalar(1e-5f), GgufValue::string("llama")
    template <class T>
    static GgufValue scalar(T value) {
        return GgufValue(false, Elements(std::vector<T>{std::move(value)}));
    }
    static GgufValue string(std::string value) { return scalar(std::move(value)); }
    // GgufValue::array(std::vector<std::string>{...}), GgufValue::array(std::vector<float>{...})
    template <class T>
    static GgufValue array(std::vector<T> values) {
        return GgufValue(true, Elements(std::move(values)));
    }

    bool is_array() const { return is_array_; }
    GgufValueType type() const { return is_array_ ? GgufValueType::Array : element_type(); }
    GgufValueType element_type() const;  // a scalar's own type, or the type of an array's elements
    size_t size() const;                 // 1 for a scalar
    const Elements& elements() const { return elements_; }
    // "uint32", "array of 512 string": for error messages.
    std::string describe() const;

    bool operator==(const GgufValue& other) const = default;

  private:
    GgufValue(bool is_array, Elements elements) : is_array_(is_array), elements_(std::move(elements)) {}

    bool is_array_;
    Elements elements_;
};

// The key/value pairs of a GGUF file, in file order, with typed accessors. Each accessor returns
// std::nullopt if the key is absent and throws Error naming the key, its type and the expected type if it
// holds something else.
class GgufMetadata {
  public:
    // `source` names the file in error messages.
    explicit GgufMetadata(std::string source = "GGUF metadata") : source_(std::move(source)) {}

    // Adds the key, or replaces its value if it is already there (keeping its place in the order).
    void set(std::string key, GgufValue value);
    const GgufValue* find(std::string_view key) const;
    bool contains(std::string_view key) const { return find(key) != nullptr; }
    const std::vector<std::pair<std::string, GgufValue>>& entries() const { return entries_; }
    size_t size() const { return entries_.size(); }
    const std::string& source() const { return source_; }

    std::optional<uint64_t> get_uint(std::string_view key) const;  // any integer type, if not negative
    std::optional<int64_t> get_int(std::string_view key) const;    // any integer type that fits in int64
    std::optional<double> get_float(std::string_view key) const;   // float32, float64 or any integer type
    std::optional<bool> get_bool(std::string_view key) const;
    std::optional<std::string_view> get_string(std::string_view key) const;
    std::optional<std::span<const std::string>> get_string_array(std::string_view key) const;
    std::optional<std::vector<float>> get_float_array(std::string_view key) const;  // float or integer items
    std::optional<std::vector<int64_t>> get_int_array(std::string_view key) const;  // integer items

    // For keys a model cannot do without: Error "<source> has no metadata key '<key>'" if absent.
    uint64_t require_uint(std::string_view key) const;
    double require_float(std::string_view key) const;
    std::string_view require_string(std::string_view key) const;

  private:
    const GgufValue* find_scalar(std::string_view key, std::string_view expected) const;
    const GgufValue* find_array(std::string_view key, std::string_view expected) const;
    [[noreturn]] void fail_type(std::string_view key, const GgufValue& value,
                                std::string_view expected) const;
    [[noreturn]] void fail_missing(std::string_view key) const;

    std::string source_;
    std::vector<std::pair<std::string, GgufValue>> entries_;
    std::unordered_map<std::string, size_t> index_;  // key -> position in entries_
};

}  // namespace loom
