// Attribute, item and slice access, iteration, and the Python methods templates call on strings and dicts
// (message.content.strip(), tool.items()...).
#include <algorithm>
#include <functional>
#include <map>
#include <optional>

#include "chat/jinja/builtins.h"
#include "chat/jinja/utf8.h"

namespace loom::jinja {

namespace {

using Method = std::function<Value(const Value& self, const CallArgs& args)>;

std::string describe_object(const Value& object) {
    if (object.is_none()) return "None";
    return cat("'", object.type_name(), " object'");
}

Value missing_attribute(const Value& object, std::string_view name) {
    return Value::undefined(cat(describe_object(object), " has no attribute '", name, "'"));
}

// --- string methods ----------------------------------------------------------------------------------------

std::vector<Value> split_whitespace(const std::vector<char32_t>& text, int64_t max_splits) {
    std::vector<Value> parts;
    size_t i = 0, n = text.size();
    while (true) {
        while (i < n && is_python_space(text[i]))
            ++i;
        if (i == n) break;
        if (max_splits >= 0 && static_cast<int64_t>(parts.size()) == max_splits) {
            // The rest, keeping its trailing whitespace: ' a b '.split(None, 1) is ['a', 'b '].
            parts.emplace_back(encode_utf8({text.begin() + static_cast<std::ptrdiff_t>(i), text.end()}));
            break;
        }
        size_t start = i;
        while (i < n && !is_python_space(text[i]))
            ++i;
        parts.emplace_back(encode_utf8({text.begin() + static_cast<std::ptrdiff_t>(start),
                                        text.begin() + static_cast<std::ptrdiff_t>(i)}));
    }
    return parts;
}

std::vector<Value> split_on(const std::string& text, const std::string& separator, int64_t max_splits) {
    if (separator.empty()) fail("split() got an empty separator");
    std::vector<Value> parts;
    size_t start = 0;
    while (max_splits < 0 || static_cast<int64_t>(parts.size()) < max_splits) {
        size_t found = text.find(separator, start);
        if (found == std::string::npos) break;
        parts.emplace_back(text.substr(start, found - start));
        start = found + separator.size();
    }
    parts.emplace_back(text.substr(start));
    return parts;
}

std::vector<Value> split_lines(const std::string& text) {
    std::vector<Value> lines;
    std::vector<char32_t> points = decode_utf8(text);
    std::vector<char32_t> line;
    for (size_t i = 0; i < points.size(); ++i) {
        char32_t c = points[i];
        bool is_break = c == '\n' || c == '\r' || c == '\v' || c == '\f' || (c >= 0x1C && c <= 0x1E) ||
                        c == 0x85 || c == 0x2028 || c == 0x2029;
        if (!is_break) {
            line.push_back(c);
            continue;
        }
        if (c == '\r' && i + 1 < points.size() && points[i + 1] == '\n') ++i;
        lines.emplace_back(encode_utf8(line));
        line.clear();
    }
    if (!line.empty()) lines.emplace_back(encode_utf8(line));
    return lines;
}

bool is_ascii_letter(char32_t c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// str.title(): a letter after a non-letter starts a word. Non-ASCII letters continue words unchanged.
std::string python_title(const std::string& text) {
    std::string out;
    bool in_word = false;
    for (char32_t c : decode_utf8(text)) {
        if (is_ascii_letter(c)) {
            char ch = static_cast<char>(c);
            out += in_word ? to_lower(std::string(1, ch)) : to_upper(std::string(1, ch));
            in_word = true;
        } else {
            append_utf8(out, c);
            in_word = c >= 0x80;
        }
    }
    return out;
}

// startswith/endswith accept one string or a tuple of them.
bool matches_affix(const std::string& self, const Value& affixes, bool at_start) {
    auto matches = [&](const Value& affix) {
        if (!affix.is_string()) fail("startswith() and endswith() take a string or a tuple of strings");
        const std::string& a = affix.as_string();
        if (a.size() > self.size()) return false;
        return at_start ? self.compare(0, a.size(), a) == 0
                        : self.compare(self.size() - a.size(), a.size(), a) == 0;
    };
    if (affixes.kind() == Value::Kind::List) {
        const auto& items = affixes.as_list();
        return std::any_of(items.begin(), items.end(), matches);
    }
    return matches(affixes);
}

std::string replace_all(const std::string& text, const std::string& old, const std::string& replacement,
                        int64_t count) {
    std::string out;
    size_t start = 0;
    int64_t done = 0;
    if (old.empty()) {  // Python inserts the replacement between every character
        std::vector<char32_t> points = decode_utf8(text);
        for (size_t i = 0; i <= points.size(); ++i) {
            if (count < 0 || done < count) {
                out += replacement;
                ++done;
            }
            if (i < points.size()) append_utf8(out, points[i]);
        }
        return out;
    }
    while (count < 0 || done < count) {
        size_t found = text.find(old, start);
        if (found == std::string::npos) break;
        out.append(text, start, found - start);
        out += replacement;
        start = found + old.size();
        ++done;
    }
    out.append(text, start, std::string::npos);
    return out;
}

// A string method without arguments that maps the string to a new value.
Method text_method(const char* name, Value (*transform)(const std::string&)) {
    return [name, transform](const Value& self, const CallArgs& args) {
        ArgumentBinder no_arguments(name, args, {});
        return transform(self.as_string());
    };
}

Method strip_method(const char* name, StripSide side) {
    return [name, side](const Value& self, const CallArgs& args) {
        ArgumentBinder a(name, args, {"chars"});
        return Value(strip_with_argument(self.as_string(), side, a, 0));
    };
}

const std::map<std::string, Method, std::less<>>& string_methods() {
    static const std::map<std::string, Method, std::less<>> methods = {
        {"strip", strip_method("strip()", StripSide::Both)},
        {"lstrip", strip_method("lstrip()", StripSide::Left)},
        {"rstrip", strip_method("rstrip()", StripSide::Right)},
        {"startswith",
         [](const Value& self, const CallArgs& args) {
             ArgumentBinder a("startswith()", args, {"prefix"}, 1);
             return Value(matches_affix(self.as_string(), *a.get(0), true));
         }},
        {"endswith",
         [](const Value& self, const CallArgs& args) {
             ArgumentBinder a("endswith()", args, {"suffix"}, 1);
             return Value(matches_affix(self.as_string(), *a.get(0), false));
         }},
        {"split",
         [](const Value& self, const CallArgs& args) {
             ArgumentBinder a("split()", args, {"sep", "maxsplit"});
             int64_t max_splits = a.integer_or(1, -1);
             if (!a.has(0) || a.get(0)->is_none())
                 return Value::list(split_whitespace(decode_utf8(self.as_string()), max_splits));
             return Value::list(split_on(self.as_string(), a.string(0), max_splits));
         }},
        {"splitlines",
         text_method("splitlines()", [](const std::string& s) { return Value::list(split_lines(s)); })},
        {"upper", text_method("upper()", [](const std::string& s) { return Value(to_upper(s)); })},
        {"lower", text_method("lower()", [](const std::string& s) { return Value(to_lower(s)); })},
        {"title", text_method("title()", [](const std::string& s) { return Value(python_title(s)); })},
        {"capitalize",
         text_method("capitalize()", [](const std::string& s) { return Value(capitalize(s)); })},
        {"replace",
         [](const Value& self, const CallArgs& args) {
             ArgumentBinder a("replace()", args, {"old", "new", "count"}, 2);
             return Value(replace_all(self.as_string(), a.string(0), a.string(1), a.integer_or(2, -1)));
         }},
        {"find",
         [](const Value& self, const CallArgs& args) {
             ArgumentBinder a("find()", args, {"sub"}, 1);
             size_t found = self.as_string().find(a.string(0));
             if (found == std::string::npos) return Value(-1);
             return Value(static_cast<int64_t>(
                 count_code_points(std::string_view(self.as_string()).substr(0, found))));
         }},
        {"count",
         [](const Value& self, const CallArgs& args) {
             ArgumentBinder a("count()", args, {"sub"}, 1);
             std::string sub = a.string(0);
             const std::string& text = self.as_string();
             if (sub.empty()) return Value(static_cast<int64_t>(count_code_points(text) + 1));
             int64_t n = 0;
             for (size_t at = text.find(sub); at != std::string::npos; at = text.find(sub, at + sub.size()))
                 ++n;
             return Value(n);
         }},
        {"join",
         [](const Value& self, const CallArgs& args) {
             ArgumentBinder a("join()", args, {"iterable"}, 1);
             std::string out;
             bool first = true;
             for (const Value& item : iterate(*a.get(0))) {
                 if (!item.is_string()) fail("join() expects strings, found ", item.type_name());
                 if (!first) out += self.as_string();
                 first = false;
                 out += item.as_string();
             }
             return Value(out);
         }},
    };
    return methods;
}

// --- dict methods ------------------------------------------------------------------------------------------

const std::map<std::string, Method, std::less<>>& dict_methods() {
    static const std::map<std::string, Method, std::less<>> methods = {
        {"items",
         [](const Value& self, const CallArgs& args) {
             ArgumentBinder no_arguments("items()", args, {});
             return items_of(self.as_dict());
         }},
        {"keys",
         [](const Value& self, const CallArgs& args) {
             ArgumentBinder no_arguments("keys()", args, {});
             return Value::list(iterate(self));
         }},
        {"values",
         [](const Value& self, const CallArgs& args) {
             ArgumentBinder a("values()", args, {});
             std::vector<Value> values;
             for (const auto& entry : self.as_dict().entries())
                 values.push_back(entry.second);
             return Value::list(std::move(values));
         }},
        {"get",
         [](const Value& self, const CallArgs& args) {
             ArgumentBinder a("get()", args, {"key", "default"}, 1);
             const Value* key = a.get(0);
             const Value* found = key->is_string() ? self.as_dict().find(key->as_string()) : nullptr;
             return found ? *found : a.value_or(1, Value::none());
         }},
    };
    return methods;
}

Value bound_method(const Value& self, std::string_view name) {
    const auto* table = self.is_string()                   ? &string_methods()
                        : self.kind() == Value::Kind::Dict ? &dict_methods()
                                                           : nullptr;
    if (!table) return Value::undefined("");
    auto it = table->find(name);
    if (it == table->end()) return Value::undefined("");
    Method method = it->second;
    return Value::function(cat(self.type_name(), ".", name),
                           [self, method](const CallArgs& args) { return method(self, args); });
}

// Python's index rules: negative counts from the end; out of range gives nothing.
std::optional<size_t> normalize_index(int64_t index, size_t size) {
    if (index < 0) index += static_cast<int64_t>(size);
    if (index < 0 || index >= static_cast<int64_t>(size)) return std::nullopt;
    return static_cast<size_t>(index);
}

int64_t slice_bound(const Value& v, const char* which) {
    if (v.kind() == Value::Kind::Bool) return v.as_bool();
    if (v.kind() != Value::Kind::Int)
        fail("slice ", which, " must be an integer or none, not ", v.type_name());
    return v.as_int();
}

// The positions a Python slice visits in a sequence of `size` items.
std::vector<size_t> slice_positions(size_t size, const Value& start_value, const Value& stop_value,
                                    const Value& step_value) {
    auto given = [](const Value& v) { return !v.is_none() && !v.is_undefined(); };
    int64_t step = given(step_value) ? slice_bound(step_value, "step") : 1;
    if (step == 0) fail("slice step cannot be zero");
    int64_t length = static_cast<int64_t>(size);
    int64_t lower = step > 0 ? 0 : -1, upper = step > 0 ? length : length - 1;
    auto clamp = [&](const Value& v, int64_t fallback) {
        if (!given(v)) return fallback;
        int64_t i = slice_bound(v, "bounds");
        if (i < 0) i = i < -length ? lower : i + length;
        return std::clamp(i, lower, upper);
    };
    int64_t start = clamp(start_value, step > 0 ? lower : upper);
    int64_t stop = clamp(stop_value, step > 0 ? upper : lower);
    std::vector<size_t> positions;
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step)
        positions.push_back(static_cast<size_t>(i));
    return positions;
}

}  // namespace

Value items_of(const Dict& dict) {
    std::vector<Value> pairs;
    for (const auto& [key, value] : dict.entries())
        pairs.push_back(Value::list({Value(key), value}, /*tuple=*/true));
    return Value::list(std::move(pairs));
}

std::string strip_with_argument(std::string_view text, StripSide side, const ArgumentBinder& args,
                                size_t index) {
    if (!args.has(index) || args.get(index)->is_none()) return strip(text, side);
    std::string chars = args.string(index);
    return strip(text, side, &chars);
}

Value get_attribute(const Value& object, std::string_view name) {
    switch (object.kind()) {
        case Value::Kind::Undefined:
            fail(object.undefined_reason());
        case Value::Kind::Dict: {
            Value method = bound_method(object, name);
            if (!method.is_undefined()) return method;
            if (const Value* v = object.as_dict().find(name)) return *v;
            return missing_attribute(object, name);
        }
        case Value::Kind::Namespace:
            if (const Value* v = object.namespace_attributes().find(name)) return *v;
            return missing_attribute(object, name);
        case Value::Kind::String: {
            Value method = bound_method(object, name);
            return method.is_undefined() ? missing_attribute(object, name) : method;
        }
        default:
            return missing_attribute(object, name);
    }
}

Value get_item(const Value& object, const Value& key) {
    switch (object.kind()) {
        case Value::Kind::Undefined:
            fail(object.undefined_reason());
        case Value::Kind::Dict:
            if (key.is_string()) {
                if (const Value* v = object.as_dict().find(key.as_string())) return *v;
                Value method = bound_method(object, key.as_string());
                if (!method.is_undefined()) return method;
            }
            return Value::undefined(cat("'dict object' has no key ", key.repr()));
        case Value::Kind::List:
        case Value::Kind::String:
            if (key.kind() == Value::Kind::Int || key.kind() == Value::Kind::Bool) {
                int64_t index = key.kind() == Value::Kind::Bool ? key.as_bool() : key.as_int();
                if (object.is_string()) {
                    std::vector<char32_t> points = decode_utf8(object.as_string());
                    if (auto i = normalize_index(index, points.size()))
                        return Value(encode_utf8({points[*i]}));
                } else if (auto i = normalize_index(index, object.as_list().size())) {
                    return object.as_list()[*i];
                }
                return Value::undefined(cat(describe_object(object), " has no element ", index));
            }
            if (key.is_string()) return get_attribute(object, key.as_string());
            return Value::undefined(
                cat(describe_object(object), " cannot be indexed with a '", key.type_name(), "'"));
        default:
            if (key.is_string()) return get_attribute(object, key.as_string());
            return Value::undefined(cat(describe_object(object), " has no element ", key.repr()));
    }
}

Value get_slice(const Value& object, const Value& start, const Value& stop, const Value& step) {
    if (object.is_undefined()) fail(object.undefined_reason());
    if (object.is_string()) {
        std::vector<char32_t> points = decode_utf8(object.as_string()), out;
        for (size_t i : slice_positions(points.size(), start, stop, step))
            out.push_back(points[i]);
        return Value(encode_utf8(out));
    }
    if (object.kind() == Value::Kind::List) {
        std::vector<Value> out;
        for (size_t i : slice_positions(object.as_list().size(), start, stop, step))
            out.push_back(object.as_list()[i]);
        return Value::list(std::move(out), object.is_tuple());
    }
    fail("'", object.type_name(), "' values cannot be sliced");
}

std::vector<Value> iterate(const Value& iterable) {
    switch (iterable.kind()) {
        case Value::Kind::Undefined:
            return {};
        case Value::Kind::List:
            return iterable.as_list();
        case Value::Kind::Dict: {
            std::vector<Value> keys;
            for (const auto& entry : iterable.as_dict().entries())
                keys.emplace_back(entry.first);
            return keys;
        }
        case Value::Kind::String: {
            std::vector<Value> characters;
            for (char32_t c : decode_utf8(iterable.as_string()))
                characters.emplace_back(encode_utf8({c}));
            return characters;
        }
        default:
            fail("'", iterable.type_name(), "' values cannot be iterated over");
    }
}

}  // namespace loom::jinja
