// What templates can use besides syntax: attribute and item access (with Python's string and dict methods),
// operators, filters (x | trim), tests (x is defined) and global functions (range, namespace,
// raise_exception, strftime_now). Each concept lives in its own file; this header is their common interface.
#pragma once

#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "chat/jinja/ast.h"
#include "chat/jinja/template.h"
#include "chat/jinja/utf8.h"
#include "chat/jinja/value.h"

namespace loom::jinja {

// Binds a call's arguments to a built-in's named parameters, as Python does: positionally first, then by
// keyword. Throws Error for too many arguments, unknown keywords or missing required ones.
class ArgumentBinder {
  public:
    ArgumentBinder(std::string_view callee, const CallArgs& args, std::vector<std::string_view> parameters,
                   size_t required = 0);

    const Value* get(size_t index) const { return bound_[index]; }  // null when not given
    bool has(size_t index) const { return bound_[index] != nullptr; }
    Value value_or(size_t index, Value fallback) const { return has(index) ? *bound_[index] : fallback; }
    // Typed access; throws Error naming the parameter when the argument has another type.
    std::string string(size_t index) const;
    std::string string_or(size_t index, std::string fallback) const;
    int64_t integer_or(size_t index, int64_t fallback) const;
    bool boolean_or(size_t index, bool fallback) const;

  private:
    std::string callee_;
    std::vector<std::string_view> parameters_;
    std::vector<const Value*> bound_;
};

// str.strip()/lstrip()/rstrip() and the trim filter: the characters to strip are the optional argument at
// `index` (absent or none: whitespace).
std::string strip_with_argument(std::string_view text, StripSide side, const ArgumentBinder& args,
                                size_t index);

// --- access.cpp: object.name, object[key], object[start:stop:step] -------------------------------------
// Missing attributes, keys and indices give undefined (as in Jinja); reading from undefined throws Error.
Value get_attribute(const Value& object, std::string_view name);  // methods before keys
Value get_item(const Value& object, const Value& key);            // keys before methods
Value get_slice(const Value& object, const Value& start, const Value& stop, const Value& step);
// dict.items() and the items filter: the (key, value) tuples in order.
Value items_of(const Dict& dict);
// The items a for loop visits: list items, dict keys, string characters; undefined gives none.
std::vector<Value> iterate(const Value& iterable);

// --- operators.cpp: arithmetic, ~, comparisons, `in` ----------------------------------------------------
Value binary_operation(ast::BinaryOp op, const Value& left, const Value& right);  // not `and`/`or`
Value unary_operation(ast::UnaryOp op, const Value& operand);
bool compare(ast::CompareOp op, const Value& left, const Value& right);

// --- filters.cpp and tests.cpp ------------------------------------------------------------------------
Value apply_filter(std::string_view name, const Value& input, const CallArgs& args);
bool apply_test(std::string_view name, const Value& input, const CallArgs& args);

// --- globals.cpp: range, dict, namespace, raise_exception, strftime_now --------------------------------
Dict global_functions(const RenderOptions& options);

// Renders strftime formats the way Python does in the C locale (%d %b %Y...), independent of the process
// locale.
std::string format_time(std::string_view format, const std::tm& time);

}  // namespace loom::jinja
