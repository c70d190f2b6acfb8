#include "chat/jinja/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "chat/jinja/utf8.h"
#include "util/error.h"

namespace loom::jinja {

const Value* Dict::find(std::string_view key) const {
    for (const auto& [k, v] : entries_)
        if (k == key) return &v;
    return nullptr;
}

void Dict::set(std::string key, Value value) {
    for (auto& [k, v] : entries_) {
        if (k == key) {
            v = std::move(value);
            return;
        }
    }
    entries_.emplace_back(std::move(key), std::move(value));
}

namespace {

template <class Values>
ContainerShape shape_of(const Values& values) {
    ContainerShape shape;
    for (const Value& v : values) {
        shape.nesting = std::max(shape.nesting, v.nesting() + 1);
        shape.holds_namespace = shape.holds_namespace || v.holds_namespace();
    }
    if (shape.nesting > kMaxValueNesting)
        fail("lists and dicts nested more than ", kMaxValueNesting, " levels deep");
    return shape;
}

}  // namespace

Value Value::list(std::vector<Value> items, bool tuple) {
    ContainerShape shape = shape_of(items);
    return Value(std::make_shared<const ListData>(ListData{std::move(items), tuple, shape}));
}

Value Value::dict(Dict entries) {
    std::vector<Value> values;
    for (const auto& entry : entries.entries())
        values.push_back(entry.second);
    ContainerShape shape = shape_of(values);
    return Value(std::make_shared<const DictData>(DictData{std::move(entries), shape}));
}

Value Value::make_namespace(Dict attributes) {
    for (const auto& [name, value] : attributes.entries())
        if (value.holds_namespace()) fail("namespace attribute '", name, "' cannot hold another namespace");
    return Value(NamespacePtr{std::make_shared<Dict>(std::move(attributes))});
}

int Value::nesting() const {
    switch (kind()) {
        case Kind::List:
            return std::get<ListPtr>(data_)->shape.nesting;
        case Kind::Dict:
            return std::get<DictPtr>(data_)->shape.nesting;
        case Kind::Namespace:
            return 1;
        default:
            return 0;
    }
}

bool Value::holds_namespace() const {
    switch (kind()) {
        case Kind::List:
            return std::get<ListPtr>(data_)->shape.holds_namespace;
        case Kind::Dict:
            return std::get<DictPtr>(data_)->shape.holds_namespace;
        case Kind::Namespace:
            return true;
        default:
            return false;
    }
}

Value Value::function(std::string name, std::function<Value(const CallArgs&)> call) {
    return Value(std::make_shared<const Function>(Function{std::move(name), std::move(call)}));
}

double Value::to_double() const {
    switch (kind()) {
        case Kind::Bool:
            return as_bool() ? 1.0 : 0.0;
        case Kind::Int:
            return static_cast<double>(as_int());
        case Kind::Float:
            return as_float();
        default:
            return 0.0;
    }
}

bool Value::truthy() const {
    switch (kind()) {
        case Kind::Undefined:
        case Kind::None:
            return false;
        case Kind::Bool:
            return as_bool();
        case Kind::Int:
            return as_int() != 0;
        case Kind::Float:
            return as_float() != 0.0;
        case Kind::String:
            return !as_string().empty();
        case Kind::List:
            return !as_list().empty();
        case Kind::Dict:
            return as_dict().size() != 0;
        case Kind::Namespace:
        case Kind::Function:
            return true;
    }
    return false;
}

std::string python_float_repr(double value) {
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
    if (value == 0.0) return std::signbit(value) ? "-0.0" : "0.0";

    // The shortest digits that read back as the same double, then laid out the way Python's repr() does:
    // positional notation for decimal exponents -4..15, scientific otherwise.
    char buffer[64];
    auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
    std::string text(buffer, result.ptr);
    std::string sign;
    if (text[0] == '-') {
        sign = "-";
        text.erase(0, 1);
    }
    size_t e = text.find('e');
    int exponent = std::atoi(text.c_str() + e + 1);
    std::string digits;
    for (size_t i = 0; i < e; ++i)
        if (text[i] != '.') digits.push_back(text[i]);

    std::string out;
    if (exponent >= -4 && exponent < 16) {
        if (exponent >= 0) {
            size_t integer_digits = static_cast<size_t>(exponent) + 1;
            if (digits.size() <= integer_digits) {
                out = digits + std::string(integer_digits - digits.size(), '0') + ".0";
            } else {
                out = digits.substr(0, integer_digits) + "." + digits.substr(integer_digits);
            }
        } else {
            out = "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
        }
    } else {
        out = digits.substr(0, 1);
        if (digits.size() > 1) out += "." + digits.substr(1);
        char exponent_text[16];
        std::snprintf(exponent_text, sizeof exponent_text, "e%c%02d", exponent < 0 ? '-' : '+',
                      std::abs(exponent));
        out += exponent_text;
    }
    return sign + out;
}

namespace {

std::string repr_string(const std::string& s) {
    // Python picks single quotes unless the text contains a single quote and no double quote.
    char quote = (s.find('\'') != std::string::npos && s.find('"') == std::string::npos) ? '"' : '\'';
    std::string out(1, quote);
    for (char32_t c : decode_utf8(s)) {
        if (c == static_cast<char32_t>(quote) || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7F) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", static_cast<unsigned>(c));
            out += escaped;
        } else {
            append_utf8(out, c);
        }
    }
    out += quote;
    return out;
}

std::string repr_dict(const Dict& dict) {
    std::string out = "{";
    bool first = true;
    for (const auto& [key, value] : dict.entries()) {
        if (!first) out += ", ";
        first = false;
        out += repr_string(key) + ": " + value.repr();
    }
    return out + "}";
}

}  // namespace

std::string Value::str() const {
    switch (kind()) {
        case Kind::Undefined:
            return "";
        case Kind::None:
            return "None";
        case Kind::Bool:
            return as_bool() ? "True" : "False";
        case Kind::Int:
            return std::to_string(as_int());
        case Kind::Float:
            return python_float_repr(as_float());
        case Kind::String:
            return as_string();
        case Kind::List: {
            const auto& items = as_list();
            bool tuple = is_tuple();
            std::string out = tuple ? "(" : "[";
            for (size_t i = 0; i < items.size(); ++i) {
                if (i) out += ", ";
                out += items[i].repr();
            }
            if (tuple && items.size() == 1) out += ",";
            return out + (tuple ? ")" : "]");
        }
        case Kind::Dict:
            return repr_dict(as_dict());
        case Kind::Namespace:
            return "<Namespace " + repr_dict(namespace_attributes()) + ">";
        case Kind::Function:
            return "<function " + as_function().name + ">";
    }
    return "";
}

std::string Value::repr() const {
    if (kind() == Kind::String) return repr_string(as_string());
    if (kind() == Kind::Undefined) return "Undefined";
    return str();
}

std::string Value::type_name() const {
    switch (kind()) {
        case Kind::Undefined:
            return "undefined";
        case Kind::None:
            return "NoneType";
        case Kind::Bool:
            return "bool";
        case Kind::Int:
            return "int";
        case Kind::Float:
            return "float";
        case Kind::String:
            return "str";
        case Kind::List:
            return is_tuple() ? "tuple" : "list";
        case Kind::Dict:
            return "dict";
        case Kind::Namespace:
            return "namespace";
        case Kind::Function:
            return "function";
    }
    return "value";
}

bool operator==(const Value& a, const Value& b) {
    using Kind = Value::Kind;
    if (a.is_number() && b.is_number()) {
        if (a.kind() == Kind::Float || b.kind() == Kind::Float) return a.to_double() == b.to_double();
        auto as_integer = [](const Value& v) {
            return v.kind() == Kind::Bool ? int64_t{v.as_bool()} : v.as_int();
        };
        return as_integer(a) == as_integer(b);
    }
    if (a.kind() != b.kind()) return false;
    switch (a.kind()) {
        case Kind::Undefined:
        case Kind::None:
            return true;
        case Kind::String:
            return a.as_string() == b.as_string();
        case Kind::List:
            return a.is_tuple() == b.is_tuple() && a.as_list() == b.as_list();
        case Kind::Dict: {
            const Dict &x = a.as_dict(), &y = b.as_dict();
            if (x.size() != y.size()) return false;
            for (const auto& [key, value] : x.entries()) {
                const Value* other = y.find(key);
                if (!other || !(*other == value)) return false;
            }
            return true;
        }
        case Kind::Namespace:
            return &a.namespace_attributes() == &b.namespace_attributes();
        case Kind::Function:
            return &a.as_function() == &b.as_function();
        default:
            return false;
    }
}

}  // namespace loom::jinja
