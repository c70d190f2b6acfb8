// Jinja's filters (value | name(arguments)) that chat templates use, with Jinja2's semantics, except tojson,
// which follows Hugging Face's override: plain json.dumps without HTML escaping.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>

#include "chat/jinja/builtins.h"
#include "chat/jinja/json.h"
#include "chat/jinja/utf8.h"

namespace loom::jinja {

namespace {

using Filter = std::function<Value(const Value& input, const CallArgs& args)>;

// Jinja's attribute paths in filters: "function.name" or "items.0", looked up key first.
Value lookup_path(const Value& item, const std::string& path) {
    Value current = item;
    size_t start = 0;
    while (true) {
        size_t dot = path.find('.', start);
        std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        bool numeric =
            !part.empty() && part.size() < 19 && part.find_first_not_of("0123456789") == std::string::npos;
        current =
            get_item(current, numeric ? Value(static_cast<int64_t>(std::strtoll(part.c_str(), nullptr, 10)))
                                      : Value(part));
        if (dot == std::string::npos) return current;
        start = dot + 1;
    }
}

// The value that sort, unique, min and max compare: lowercased text unless case_sensitive.
Value sort_key(const Value& item, const std::string* attribute, bool case_sensitive) {
    Value key = attribute ? lookup_path(item, *attribute) : item;
    if (!case_sensitive && key.is_string()) return Value(to_lower(key.as_string()));
    return key;
}

bool less_than(const Value& a, const Value& b) {
    return compare(ast::CompareOp::Less, a, b);
}

std::vector<Value> sorted(std::vector<Value> items, const std::string* attribute, bool case_sensitive,
                          bool reverse) {
    std::stable_sort(items.begin(), items.end(), [&](const Value& a, const Value& b) {
        Value ka = sort_key(a, attribute, case_sensitive), kb = sort_key(b, attribute, case_sensitive);
        return reverse ? less_than(kb, ka) : less_than(ka, kb);
    });
    return items;
}

int64_t length_of(const Value& v) {
    switch (v.kind()) {
        case Value::Kind::Undefined:
            return 0;
        case Value::Kind::String:
            return static_cast<int64_t>(count_code_points(v.as_string()));
        case Value::Kind::List:
            return static_cast<int64_t>(v.as_list().size());
        case Value::Kind::Dict:
            return static_cast<int64_t>(v.as_dict().size());
        case Value::Kind::Namespace:
            return static_cast<int64_t>(v.namespace_attributes().size());
        default:
            fail("'", v.type_name(), "' values have no length");
    }
}

// select/reject and selectattr/rejectattr: keep the items whose (attribute's) value passes the test.
Value filter_items(const Value& input, const CallArgs& args, bool by_attribute, bool keep_passing) {
    const char* name =
        by_attribute ? (keep_passing ? "selectattr" : "rejectattr") : (keep_passing ? "select" : "reject");
    size_t first_test_arg = by_attribute ? 1 : 0;
    std::string attribute;
    if (by_attribute) {
        if (args.positional.empty() || !args.positional[0].is_string())
            fail("filter '", name, "' needs the attribute's name as its first argument");
        attribute = args.positional[0].as_string();
    }
    std::string test;
    CallArgs test_args;
    if (args.positional.size() > first_test_arg) {
        if (!args.positional[first_test_arg].is_string())
            fail("filter '", name, "' needs a test name, like 'equalto'");
        test = args.positional[first_test_arg].as_string();
        test_args.positional.assign(args.positional.begin() + static_cast<std::ptrdiff_t>(first_test_arg) + 1,
                                    args.positional.end());
        test_args.keyword = args.keyword;
    }
    std::vector<Value> kept;
    for (const Value& item : iterate(input)) {
        Value subject = by_attribute ? lookup_path(item, attribute) : item;
        bool passes = test.empty() ? subject.truthy() : apply_test(test, subject, test_args);
        if (passes == keep_passing) kept.push_back(item);
    }
    return Value::list(std::move(kept));
}

Value map_items(const Value& input, const CallArgs& args) {
    std::vector<Value> out;
    const Value* attribute = nullptr;
    const Value* fallback = nullptr;
    for (const auto& [key, value] : args.keyword) {
        if (key == "attribute")
            attribute = &value;
        else if (key == "default")
            fallback = &value;
    }
    if (attribute) {
        if (!attribute->is_string()) fail("filter 'map' needs attribute= to be a string");
        for (const Value& item : iterate(input)) {
            Value v = lookup_path(item, attribute->as_string());
            out.push_back(v.is_undefined() && fallback ? *fallback : v);
        }
        return Value::list(std::move(out));
    }
    if (args.positional.empty() || !args.positional[0].is_string())
        fail("filter 'map' needs a filter name or attribute='name'");
    CallArgs filter_args;
    filter_args.positional.assign(args.positional.begin() + 1, args.positional.end());
    filter_args.keyword = args.keyword;
    for (const Value& item : iterate(input))
        out.push_back(apply_filter(args.positional[0].as_string(), item, filter_args));
    return Value::list(std::move(out));
}

Value to_int(const Value& input, const CallArgs& args) {
    ArgumentBinder a("filter 'int'", args, {"default", "base"});
    Value fallback = a.value_or(0, Value(0));
    int base = static_cast<int>(a.integer_or(1, 10));
    switch (input.kind()) {
        case Value::Kind::Bool:
        case Value::Kind::Int:
            return Value(input.kind() == Value::Kind::Bool ? int64_t{input.as_bool()} : input.as_int());
        case Value::Kind::Float: {
            double d = input.as_float();
            if (!std::isfinite(d) || std::fabs(d) >= 9.2e18) return fallback;
            return Value(static_cast<int64_t>(d));
        }
        case Value::Kind::String: {
            std::string text = strip(input.as_string(), StripSide::Both);
            std::string digits;
            for (char c : text)
                if (c != '_') digits.push_back(c);
            errno = 0;
            char* end = nullptr;
            long long parsed = std::strtoll(digits.c_str(), &end, base);
            if (!digits.empty() && end && *end == '\0' && errno == 0)
                return Value(static_cast<int64_t>(parsed));
            char* float_end = nullptr;  // "4.2" is 4, as int(float("4.2")) is
            double d = std::strtod(digits.c_str(), &float_end);
            if (!digits.empty() && float_end && *float_end == '\0' && std::isfinite(d) &&
                std::fabs(d) < 9.2e18)
                return Value(static_cast<int64_t>(d));
            return fallback;
        }
        default:
            return fallback;
    }
}

Value to_float(const Value& input, const CallArgs& args) {
    ArgumentBinder a("filter 'float'", args, {"default"});
    Value fallback = a.value_or(0, Value(0.0));
    if (input.is_number()) return Value(input.to_double());
    if (input.is_string()) {
        std::string text = strip(input.as_string(), StripSide::Both);
        char* end = nullptr;
        double d = std::strtod(text.c_str(), &end);
        if (!text.empty() && end && *end == '\0') return Value(d);
    }
    return fallback;
}

Value round_number(const Value& input, const CallArgs& args) {
    ArgumentBinder a("filter 'round'", args, {"precision", "method"});
    if (!input.is_number()) fail("filter 'round' needs a number, not ", input.type_name());
    double scale = std::pow(10.0, static_cast<double>(a.integer_or(0, 0)));
    std::string method = a.string_or(1, "common");
    double v = input.to_double() * scale;
    if (method == "common")
        v = std::nearbyint(v);  // Python rounds halves to even: round(2.5) is 2
    else if (method == "ceil")
        v = std::ceil(v);
    else if (method == "floor")
        v = std::floor(v);
    else
        fail("filter 'round' takes method 'common', 'ceil' or 'floor', not '", method, "'");
    return Value(v / scale);
}

Value indent_lines(const Value& input, const CallArgs& args) {
    ArgumentBinder a("filter 'indent'", args, {"width", "first", "blank"});
    std::string indentation =
        a.has(0) && a.get(0)->is_string()
            ? a.get(0)->as_string()
            : std::string(static_cast<size_t>(std::max<int64_t>(0, a.integer_or(0, 4))), ' ');
    bool first = a.boolean_or(1, false), blank = a.boolean_or(2, false);
    std::vector<std::string> lines;
    std::string text = input.str(), line;
    for (char c : text) {
        if (c == '\n') {
            lines.push_back(line);
            line.clear();
        } else {
            line += c;
        }
    }
    lines.push_back(line);
    std::string out;
    for (size_t i = 0; i < lines.size(); ++i) {
        if (i) out += '\n';
        bool indent_this = i == 0 ? first : (blank || !lines[i].empty());
        if (indent_this) out += indentation;
        out += lines[i];
    }
    return Value(out);
}

Value dict_items(const Value& input) {
    if (input.is_undefined()) return Value::list({});
    if (input.kind() != Value::Kind::Dict) fail("filter 'items' needs a dict, not ", input.type_name());
    return items_of(input.as_dict());
}

Value tojson(const Value& input, const CallArgs& args) {
    ArgumentBinder a("filter 'tojson'", args, {"indent", "ensure_ascii", "separators", "sort_keys"});
    JsonFormat format;
    if (a.has(0) && !a.get(0)->is_none()) format.indent = static_cast<int>(a.integer_or(0, 0));
    format.ensure_ascii = a.boolean_or(1, false);
    if (a.has(2) && !a.get(2)->is_none()) {
        const Value& separators = *a.get(2);
        if (separators.kind() != Value::Kind::List || separators.as_list().size() != 2 ||
            !separators.as_list()[0].is_string() || !separators.as_list()[1].is_string())
            fail("filter 'tojson' needs separators as a pair of strings, like (', ', ': ')");
        format.item_separator = separators.as_list()[0].as_string();
        format.key_separator = separators.as_list()[1].as_string();
    }
    format.sort_keys = a.boolean_or(3, false);
    return Value(to_json(input, format));
}

Value extreme(const Value& input, const CallArgs& args, bool want_max) {
    ArgumentBinder a(want_max ? "filter 'max'" : "filter 'min'", args, {"case_sensitive", "attribute"});
    std::string attribute = a.string_or(1, "");
    std::vector<Value> items = iterate(input);
    if (items.empty())
        return Value::undefined(cat("no ", want_max ? "maximum" : "minimum", " of an empty sequence"));
    const std::string* path = a.has(1) ? &attribute : nullptr;
    bool case_sensitive = a.boolean_or(0, false);
    const Value* best = &items[0];
    for (const Value& item : items) {
        Value k = sort_key(item, path, case_sensitive), kb = sort_key(*best, path, case_sensitive);
        if (want_max ? less_than(kb, k) : less_than(k, kb)) best = &item;
    }
    return *best;
}

const std::map<std::string, Filter, std::less<>>& filters() {
    static const std::map<std::string, Filter, std::less<>> table = {
        {"abs",
         [](const Value& in, const CallArgs&) {
             if (!in.is_number()) fail("filter 'abs' needs a number, not ", in.type_name());
             return in.kind() == Value::Kind::Float
                        ? Value(std::fabs(in.as_float()))
                        : unary_operation(in.to_double() < 0 ? ast::UnaryOp::Negate : ast::UnaryOp::Plus, in);
         }},
        {"attr",
         [](const Value& in, const CallArgs& args) {
             ArgumentBinder a("filter 'attr'", args, {"name"}, 1);
             if (in.kind() == Value::Kind::Dict && in.as_dict().find(a.string(0)))  // attributes, not keys
                 return Value::undefined(cat("'dict object' has no attribute '", a.string(0), "'"));
             return get_attribute(in, a.string(0));
         }},
        {"capitalize", [](const Value& in, const CallArgs&) { return Value(capitalize(in.str())); }},
        {"count", [](const Value& in, const CallArgs&) { return Value(length_of(in)); }},
        {"default",
         [](const Value& in, const CallArgs& args) {
             ArgumentBinder a("filter 'default'", args, {"default_value", "boolean"});
             bool use_default = a.boolean_or(1, false) ? !in.truthy() : in.is_undefined();
             return use_default ? a.value_or(0, Value("")) : in;
         }},
        {"dictsort",
         [](const Value& in, const CallArgs& args) {
             ArgumentBinder a("filter 'dictsort'", args, {"case_sensitive", "by", "reverse"});
             std::string by = a.string_or(1, "key");
             if (by != "key" && by != "value")
                 fail("filter 'dictsort' sorts by 'key' or 'value', not '", by, "'");
             std::string path = by == "key" ? "0" : "1";
             return Value::list(
                 sorted(dict_items(in).as_list(), &path, a.boolean_or(0, false), a.boolean_or(2, false)));
         }},
        {"first",
         [](const Value& in, const CallArgs&) {
             std::vector<Value> items = iterate(in);
             return items.empty() ? Value::undefined("there is no first item of an empty sequence")
                                  : items.front();
         }},
        {"float", to_float},
        {"indent", indent_lines},
        {"int", to_int},
        {"items", [](const Value& in, const CallArgs&) { return dict_items(in); }},
        {"join",
         [](const Value& in, const CallArgs& args) {
             ArgumentBinder a("filter 'join'", args, {"d", "attribute"});
             std::string separator = a.string_or(0, ""), attribute = a.string_or(1, ""), out;
             bool first = true;
             for (const Value& item : iterate(in)) {
                 if (!first) out += separator;
                 first = false;
                 out += (a.has(1) ? lookup_path(item, attribute) : item).str();
             }
             return Value(out);
         }},
        {"last",
         [](const Value& in, const CallArgs&) {
             if (in.kind() == Value::Kind::Dict) fail("filter 'last' cannot be used on a dict");
             std::vector<Value> items = iterate(in);
             return items.empty() ? Value::undefined("there is no last item of an empty sequence")
                                  : items.back();
         }},
        {"length", [](const Value& in, const CallArgs&) { return Value(length_of(in)); }},
        {"list", [](const Value& in, const CallArgs&) { return Value::list(iterate(in)); }},
        {"lower", [](const Value& in, const CallArgs&) { return Value(to_lower(in.str())); }},
        {"map", map_items},
        {"max", [](const Value& in, const CallArgs& args) { return extreme(in, args, true); }},
        {"min", [](const Value& in, const CallArgs& args) { return extreme(in, args, false); }},
        {"reject",
         [](const Value& in, const CallArgs& args) { return filter_items(in, args, false, false); }},
        {"rejectattr",
         [](const Value& in, const CallArgs& args) { return filter_items(in, args, true, false); }},
        {"replace",
         [](const Value& in, const CallArgs& args) {
             ArgumentBinder a("filter 'replace'", args, {"old", "new", "count"}, 2);
             CallArgs method_args{{*a.get(0), *a.get(1)}, {}};
             if (a.has(2) && !a.get(2)->is_none()) method_args.positional.push_back(*a.get(2));
             return get_attribute(Value(in.str()), "replace").as_function().call(method_args);
         }},
        {"reverse",
         [](const Value& in, const CallArgs&) {
             if (in.is_string()) {
                 std::vector<char32_t> points = decode_utf8(in.as_string());
                 std::reverse(points.begin(), points.end());
                 return Value(encode_utf8(points));
             }
             std::vector<Value> items = iterate(in);
             std::reverse(items.begin(), items.end());
             return Value::list(std::move(items));
         }},
        {"round", round_number},
        {"safe", [](const Value& in, const CallArgs&) { return in; }},
        {"select", [](const Value& in, const CallArgs& args) { return filter_items(in, args, false, true); }},
        {"selectattr",
         [](const Value& in, const CallArgs& args) { return filter_items(in, args, true, true); }},
        {"sort",
         [](const Value& in, const CallArgs& args) {
             ArgumentBinder a("filter 'sort'", args, {"reverse", "case_sensitive", "attribute"});
             std::string attribute = a.string_or(2, "");
             return Value::list(sorted(iterate(in), a.has(2) ? &attribute : nullptr, a.boolean_or(1, false),
                                       a.boolean_or(0, false)));
         }},
        {"string", [](const Value& in, const CallArgs&) { return Value(in.str()); }},
        {"sum",
         [](const Value& in, const CallArgs& args) {
             ArgumentBinder a("filter 'sum'", args, {"attribute", "start"});
             std::string attribute = a.string_or(0, "");
             Value total = a.value_or(1, Value(0));
             for (const Value& item : iterate(in))
                 total = binary_operation(ast::BinaryOp::Add, total,
                                          a.has(0) ? lookup_path(item, attribute) : item);
             return total;
         }},
        {"title",
         [](const Value& in, const CallArgs&) {
             // Jinja capitalizes each word that follows whitespace, '-' or an opening bracket.
             std::string out, text = in.str();
             bool word_start = true;
             for (char c : text) {
                 out += word_start ? to_upper(std::string(1, c)) : to_lower(std::string(1, c));
                 word_start = std::string_view(" \t\n\r\f\v-({[<").find(c) != std::string_view::npos;
             }
             return Value(out);
         }},
        {"tojson", tojson},
        {"trim",
         [](const Value& in, const CallArgs& args) {
             ArgumentBinder a("filter 'trim'", args, {"chars"});
             return Value(strip_with_argument(in.str(), StripSide::Both, a, 0));
         }},
        {"unique",
         [](const Value& in, const CallArgs& args) {
             ArgumentBinder a("filter 'unique'", args, {"case_sensitive", "attribute"});
             std::string attribute = a.string_or(1, "");
             std::vector<Value> seen, out;
             for (const Value& item : iterate(in)) {
                 Value key = sort_key(item, a.has(1) ? &attribute : nullptr, a.boolean_or(0, false));
                 if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
                 seen.push_back(key);
                 out.push_back(item);
             }
             return Value::list(std::move(out));
         }},
        {"upper", [](const Value& in, const CallArgs&) { return Value(to_upper(in.str())); }},
    };
    return table;
}

}  // namespace

Value apply_filter(std::string_view name, const Value& input, const CallArgs& args) {
    std::string_view canonical = name == "d" ? "default" : name;
    const auto& table = filters();
    auto it = table.find(canonical);
    if (it == table.end()) fail("unknown filter '", name, "'");
    return it->second(input, args);
}

}  // namespace loom::jinja
