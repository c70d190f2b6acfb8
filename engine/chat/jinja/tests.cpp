// Jinja's tests (value is name(arguments)): the questions templates ask about values.
#include <algorithm>
#include <functional>
#include <map>
#include <vector>

#include "chat/jinja/builtins.h"

namespace loom::jinja {

namespace {

using Test = std::function<bool(const Value& input, const CallArgs& args)>;
using Kind = Value::Kind;

// The single argument a comparison test takes: `x is equalto 3`, `x is divisibleby(2)`.
const Value& operand(std::string_view test, const CallArgs& args) {
    ArgumentBinder a(cat("test '", test, "'"), args, {"other"}, 1);
    return *a.get(0);
}

Test comparison(std::string_view name, ast::CompareOp op) {
    return [name, op](const Value& in, const CallArgs& args) { return compare(op, in, operand(name, args)); };
}

Test kind_is(std::initializer_list<Kind> kinds) {
    std::vector<Kind> accepted(kinds);
    return [accepted](const Value& in, const CallArgs&) {
        return std::find(accepted.begin(), accepted.end(), in.kind()) != accepted.end();
    };
}

int64_t integer_input(std::string_view test, const Value& in) {
    if (in.kind() == Kind::Int) return in.as_int();
    if (in.kind() == Kind::Bool) return in.as_bool();
    fail("test '", test, "' needs an integer, not ", in.type_name());
}

const std::map<std::string, Test, std::less<>>& tests() {
    using ast::CompareOp;
    static const std::map<std::string, Test, std::less<>> table = {
        {"defined", [](const Value& in, const CallArgs&) { return !in.is_undefined(); }},
        {"undefined", [](const Value& in, const CallArgs&) { return in.is_undefined(); }},
        {"none", kind_is({Kind::None})},
        {"boolean", kind_is({Kind::Bool})},
        {"true", [](const Value& in, const CallArgs&) { return in.kind() == Kind::Bool && in.as_bool(); }},
        {"false", [](const Value& in, const CallArgs&) { return in.kind() == Kind::Bool && !in.as_bool(); }},
        {"integer", kind_is({Kind::Int})},
        {"float", kind_is({Kind::Float})},
        {"number", kind_is({Kind::Int, Kind::Float, Kind::Bool})},
        {"string", kind_is({Kind::String})},
        {"mapping", kind_is({Kind::Dict})},
        // Jinja's undefined can be iterated (as nothing), so it counts as iterable and as a sequence.
        {"iterable", kind_is({Kind::String, Kind::List, Kind::Dict, Kind::Undefined})},
        {"sequence", kind_is({Kind::String, Kind::List, Kind::Dict, Kind::Undefined})},
        {"callable", kind_is({Kind::Function})},
        {"sameas",
         [](const Value& in, const CallArgs& args) {
             // Python's `is`: identity for None and bools, which is all templates ask it about.
             const Value& other = operand("sameas", args);
             return in.kind() == other.kind() &&
                    (in.kind() == Kind::None || in.kind() == Kind::Undefined ||
                     (in.kind() == Kind::Bool && in.as_bool() == other.as_bool()));
         }},
        {"lower",
         [](const Value& in, const CallArgs&) {
             return in.is_string() &&
                    in.as_string().find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == std::string::npos;
         }},
        {"upper",
         [](const Value& in, const CallArgs&) {
             return in.is_string() &&
                    in.as_string().find_first_of("abcdefghijklmnopqrstuvwxyz") == std::string::npos;
         }},
        {"odd", [](const Value& in, const CallArgs&) { return integer_input("odd", in) % 2 != 0; }},
        {"even", [](const Value& in, const CallArgs&) { return integer_input("even", in) % 2 == 0; }},
        {"divisibleby",
         [](const Value& in, const CallArgs& args) {
             int64_t divisor = integer_input("divisibleby", operand("divisibleby", args));
             if (divisor == 0) fail("test 'divisibleby' cannot divide by zero");
             return divisor == -1 || integer_input("divisibleby", in) % divisor == 0;
         }},
        {"equalto", comparison("equalto", CompareOp::Equal)},
        {"eq", comparison("eq", CompareOp::Equal)},
        {"==", comparison("==", CompareOp::Equal)},
        {"ne", comparison("ne", CompareOp::NotEqual)},
        {"!=", comparison("!=", CompareOp::NotEqual)},
        {"lessthan", comparison("lessthan", CompareOp::Less)},
        {"lt", comparison("lt", CompareOp::Less)},
        {"<", comparison("<", CompareOp::Less)},
        {"le", comparison("le", CompareOp::LessEqual)},
        {"<=", comparison("<=", CompareOp::LessEqual)},
        {"greaterthan", comparison("greaterthan", CompareOp::Greater)},
        {"gt", comparison("gt", CompareOp::Greater)},
        {">", comparison(">", CompareOp::Greater)},
        {"ge", comparison("ge", CompareOp::GreaterEqual)},
        {">=", comparison(">=", CompareOp::GreaterEqual)},
        {"in", comparison("in", CompareOp::In)},
    };
    return table;
}

}  // namespace

bool apply_test(std::string_view name, const Value& input, const CallArgs& args) {
    const auto& table = tests();
    auto it = table.find(name);
    if (it == table.end()) fail("unknown test '", name, "'");
    return it->second(input, args);
}

}  // namespace loom::jinja
