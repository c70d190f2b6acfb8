#include "chat/jinja/json.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "chat/jinja/utf8.h"
#include "util/error.h"

namespace loom::jinja {

Value from_json(const nlohmann::ordered_json& json) {
    switch (json.type()) {
        case nlohmann::ordered_json::value_t::null:
            return Value::none();
        case nlohmann::ordered_json::value_t::boolean:
            return Value(json.get<bool>());
        case nlohmann::ordered_json::value_t::number_integer:
            return Value(json.get<int64_t>());
        case nlohmann::ordered_json::value_t::number_unsigned: {
            uint64_t u = json.get<uint64_t>();
            if (u <= static_cast<uint64_t>(INT64_MAX)) return Value(static_cast<int64_t>(u));
            return Value(static_cast<double>(u));
        }
        case nlohmann::ordered_json::value_t::number_float:
            return Value(json.get<double>());
        case nlohmann::ordered_json::value_t::string:
            return Value(json.get<std::string>());
        case nlohmann::ordered_json::value_t::array: {
            std::vector<Value> items;
            items.reserve(json.size());
            for (const auto& item : json)
                items.push_back(from_json(item));
            return Value::list(std::move(items));
        }
        case nlohmann::ordered_json::value_t::object: {
            Dict dict;
            for (const auto& [key, item] : json.items())
                dict.set(key, from_json(item));
            return Value::dict(std::move(dict));
        }
        default:
            fail("a template variable cannot be made from JSON binary data");
    }
}

namespace {

class JsonWriter {
  public:
    explicit JsonWriter(const JsonFormat& format) : format_(format) {
        item_separator_ = format.item_separator.value_or(format.indent ? "," : ", ");
        key_separator_ = format.key_separator.value_or(": ");
    }

    std::string write(const Value& value) {
        write_value(value, 0);
        return std::move(out_);
    }

  private:
    void write_string(const std::string& text) {
        out_ += '"';
        for (char32_t c : decode_utf8(text)) {
            switch (c) {
                case '"':
                    out_ += "\\\"";
                    break;
                case '\\':
                    out_ += "\\\\";
                    break;
                case '\n':
                    out_ += "\\n";
                    break;
                case '\r':
                    out_ += "\\r";
                    break;
                case '\t':
                    out_ += "\\t";
                    break;
                case '\b':
                    out_ += "\\b";
                    break;
                case '\f':
                    out_ += "\\f";
                    break;
                default:
                    if (c < 0x20 || (format_.ensure_ascii && c > 0x7E)) {
                        write_escaped(c);
                    } else {
                        append_utf8(out_, c);
                    }
            }
        }
        out_ += '"';
    }

    void write_escaped(char32_t c) {
        char buffer[16];
        if (c >= 0x10000) {  // a surrogate pair, as Python writes characters outside the BMP
            char32_t v = c - 0x10000;
            std::snprintf(buffer, sizeof buffer, "\\u%04x\\u%04x", static_cast<unsigned>(0xD800 + (v >> 10)),
                          static_cast<unsigned>(0xDC00 + (v & 0x3FF)));
        } else {
            std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(c));
        }
        out_ += buffer;
    }

    void newline(int depth) {
        if (!format_.indent) return;
        out_ += '\n';
        out_.append(static_cast<size_t>(std::max(0, *format_.indent) * depth), ' ');
    }

    void write_value(const Value& value, int depth) {
        switch (value.kind()) {
            case Value::Kind::None:
                out_ += "null";
                return;
            case Value::Kind::Bool:
                out_ += value.as_bool() ? "true" : "false";
                return;
            case Value::Kind::Int:
                out_ += std::to_string(value.as_int());
                return;
            case Value::Kind::Float: {
                double d = value.as_float();
                // Python writes the non-finite values as these bare words, which most JSON readers reject.
                out_ += std::isnan(d)   ? "NaN"
                        : std::isinf(d) ? (d < 0 ? "-Infinity" : "Infinity")
                                        : python_float_repr(d);
                return;
            }
            case Value::Kind::String:
                write_string(value.as_string());
                return;
            case Value::Kind::List: {
                const auto& items = value.as_list();
                if (items.empty()) {
                    out_ += "[]";
                    return;
                }
                out_ += '[';
                for (size_t i = 0; i < items.size(); ++i) {
                    if (i) out_ += item_separator_;
                    newline(depth + 1);
                    write_value(items[i], depth + 1);
                }
                newline(depth);
                out_ += ']';
                return;
            }
            case Value::Kind::Dict: {
                std::vector<const std::pair<std::string, Value>*> entries;
                for (const auto& entry : value.as_dict().entries())
                    entries.push_back(&entry);
                if (format_.sort_keys)
                    std::sort(entries.begin(), entries.end(),
                              [](auto* a, auto* b) { return a->first < b->first; });
                if (entries.empty()) {
                    out_ += "{}";
                    return;
                }
                out_ += '{';
                for (size_t i = 0; i < entries.size(); ++i) {
                    if (i) out_ += item_separator_;
                    newline(depth + 1);
                    write_string(entries[i]->first);
                    out_ += key_separator_;
                    write_value(entries[i]->second, depth + 1);
                }
                newline(depth);
                out_ += '}';
                return;
            }
            case Value::Kind::Undefined:
                fail("tojson cannot write an undefined value (", value.undefined_reason(), ")");
            default:
                fail("tojson cannot write a '", value.type_name(), "' value as JSON");
        }
    }

    const JsonFormat& format_;
    std::string item_separator_, key_separator_;
    std::string out_;
};

}  // namespace

std::string to_json(const Value& value, const JsonFormat& format) {
    return JsonWriter(format).write(value);
}

}  // namespace loom::jinja
