// Converting between JSON and template values: variables arrive as JSON (messages, tools), and the tojson
// filter prints values back as JSON exactly as Python's json.dumps does, which is what Hugging Face's tojson
// calls (ensure_ascii=False unless asked, ", " and ": " separators unless indenting).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "chat/jinja/value.h"

namespace loom::jinja {

// Objects keep their key order, as Python dicts loaded from JSON do (tojson prints them in that order).
Value from_json(const nlohmann::ordered_json& json);

struct JsonFormat {
    std::optional<int> indent;  // pretty-print with this many spaces per level; unset: one line
    bool ensure_ascii = false;  // escape non-ASCII characters as \uXXXX
    bool sort_keys = false;
    std::optional<std::string> item_separator;  // default ", " on one line, "," when indenting
    std::optional<std::string> key_separator;   // default ": "
};

// Throws Error for values JSON cannot hold (undefined, functions, namespaces).
std::string to_json(const Value& value, const JsonFormat& format = {});

}  // namespace loom::jinja
