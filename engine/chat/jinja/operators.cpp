// Arithmetic, concatenation and comparison with Python's rules: bools count as 0 and 1, int op int stays an
// int (floor division and modulo round toward minus infinity), and mixing text with numbers in `+` is an
// error (templates join those with `~`). Integer overflow, which Python would absorb with big integers, is an
// Error.
#include <cmath>

#include "chat/jinja/builtins.h"
#include "chat/jinja/utf8.h"

namespace loom::jinja {

namespace {

using ast::BinaryOp;
using ast::CompareOp;

// Strings and lists that operators build are capped, so `'x' * 10**12` fails cleanly instead of exhausting
// memory.
constexpr size_t kMaxBuiltSize = size_t{64} << 20;

const char* symbol(BinaryOp op) {
    switch (op) {
        case BinaryOp::Add:
            return "+";
        case BinaryOp::Subtract:
            return "-";
        case BinaryOp::Multiply:
            return "*";
        case BinaryOp::Divide:
            return "/";
        case BinaryOp::FloorDivide:
            return "//";
        case BinaryOp::Modulo:
            return "%";
        case BinaryOp::Power:
            return "**";
        case BinaryOp::Concat:
            return "~";
        case BinaryOp::And:
            return "and";
        case BinaryOp::Or:
            return "or";
    }
    return "?";
}

bool is_integer(const Value& v) {
    return v.kind() == Value::Kind::Int || v.kind() == Value::Kind::Bool;
}
int64_t integer_of(const Value& v) {
    return v.kind() == Value::Kind::Bool ? int64_t{v.as_bool()} : v.as_int();
}

[[noreturn]] void unsupported(BinaryOp op, const Value& left, const Value& right) {
    for (const Value* v : {&left, &right})
        if (v->is_undefined()) fail(v->undefined_reason());
    std::string hint;
    if (op == BinaryOp::Add && (left.is_string() || right.is_string()))
        hint = " (use ~ to join text with other values)";
    fail("unsupported operand types for ", symbol(op), ": '", left.type_name(), "' and '", right.type_name(),
         "'", hint);
}

[[noreturn]] void overflow(BinaryOp op) {
    fail("integer overflow in ", symbol(op));
}

Value integer_operation(BinaryOp op, int64_t a, int64_t b) {
    int64_t result = 0;
    switch (op) {
        case BinaryOp::Add:
            if (__builtin_add_overflow(a, b, &result)) overflow(op);
            return Value(result);
        case BinaryOp::Subtract:
            if (__builtin_sub_overflow(a, b, &result)) overflow(op);
            return Value(result);
        case BinaryOp::Multiply:
            if (__builtin_mul_overflow(a, b, &result)) overflow(op);
            return Value(result);
        case BinaryOp::Divide:
            if (b == 0) fail("division by zero");
            return Value(static_cast<double>(a) / static_cast<double>(b));
        case BinaryOp::FloorDivide:
        case BinaryOp::Modulo: {
            if (b == 0) fail(op == BinaryOp::Modulo ? "modulo by zero" : "division by zero");
            if (a == INT64_MIN && b == -1) {
                if (op == BinaryOp::Modulo) return Value(int64_t{0});
                overflow(op);
            }
            int64_t quotient = a / b, remainder = a % b;
            if (remainder != 0 && ((remainder < 0) != (b < 0))) {
                --quotient;
                remainder += b;
            }
            return Value(op == BinaryOp::Modulo ? remainder : quotient);
        }
        case BinaryOp::Power: {
            if (b < 0) {
                if (a == 0) fail("zero cannot be raised to a negative power");
                return Value(std::pow(static_cast<double>(a), static_cast<double>(b)));
            }
            result = 1;
            for (int64_t base = a, exponent = b; exponent > 0; exponent >>= 1) {
                if ((exponent & 1) && __builtin_mul_overflow(result, base, &result)) overflow(op);
                if (exponent > 1 && __builtin_mul_overflow(base, base, &base)) overflow(op);
            }
            return Value(result);
        }
        default:
            break;
    }
    fail("unsupported integer operation ", symbol(op));
}

Value float_operation(BinaryOp op, double a, double b) {
    switch (op) {
        case BinaryOp::Add:
            return Value(a + b);
        case BinaryOp::Subtract:
            return Value(a - b);
        case BinaryOp::Multiply:
            return Value(a * b);
        case BinaryOp::Divide:
            if (b == 0.0) fail("division by zero");
            return Value(a / b);
        case BinaryOp::FloorDivide:
            if (b == 0.0) fail("division by zero");
            return Value(std::floor(a / b));
        case BinaryOp::Modulo: {
            if (b == 0.0) fail("modulo by zero");
            double r = std::fmod(a, b);
            if (r != 0.0 && ((r < 0) != (b < 0))) r += b;
            return Value(r);
        }
        case BinaryOp::Power:
            if (a == 0.0 && b < 0) fail("zero cannot be raised to a negative power");
            return Value(std::pow(a, b));
        default:
            break;
    }
    fail("unsupported number operation ", symbol(op));
}

Value repeat(const Value& sequence, int64_t times) {
    if (times < 0) times = 0;
    if (sequence.is_string()) {
        const std::string& s = sequence.as_string();
        if (!s.empty() && static_cast<uint64_t>(times) > kMaxBuiltSize / s.size())
            fail("repeating text ", times, " times would make more than ", kMaxBuiltSize >> 20, " MiB");
        std::string out;
        for (int64_t i = 0; i < times; ++i)
            out += s;
        return Value(std::move(out));
    }
    const auto& items = sequence.as_list();
    if (!items.empty() && static_cast<uint64_t>(times) > kMaxBuiltSize / items.size())
        fail("repeating a list ", times, " times would make it too long");
    std::vector<Value> out;
    for (int64_t i = 0; i < times; ++i)
        out.insert(out.end(), items.begin(), items.end());
    return Value::list(std::move(out), sequence.is_tuple());
}

bool is_sequence(const Value& v) {
    return v.is_string() || v.kind() == Value::Kind::List;
}

// Python's ordering for <, <=, >, >=: numbers with numbers, text with text, lists item by item.
int order(const Value& a, const Value& b, CompareOp op) {
    if (a.is_number() && b.is_number()) {
        if (is_integer(a) && is_integer(b))
            return integer_of(a) < integer_of(b) ? -1 : integer_of(a) > integer_of(b);
        double x = a.to_double(), y = b.to_double();
        return x < y ? -1 : x > y ? 1 : 0;
    }
    if (a.is_string() && b.is_string()) {
        int c = a.as_string().compare(b.as_string());  // UTF-8 byte order is code point order
        return c < 0 ? -1 : c > 0;
    }
    if (a.kind() == Value::Kind::List && b.kind() == Value::Kind::List) {
        const auto &x = a.as_list(), &y = b.as_list();
        for (size_t i = 0; i < x.size() && i < y.size(); ++i)
            if (!(x[i] == y[i])) return order(x[i], y[i], op);
        return x.size() < y.size() ? -1 : x.size() > y.size();
    }
    for (const Value* v : {&a, &b})
        if (v->is_undefined()) fail(v->undefined_reason());
    static constexpr const char* kSymbols[] = {"==", "!=", "<", "<=", ">", ">=", "in", "not in"};
    fail("'", kSymbols[static_cast<int>(op)], "' is not supported between '", a.type_name(), "' and '",
         b.type_name(), "'");
}

bool contains(const Value& container, const Value& item) {
    switch (container.kind()) {
        case Value::Kind::Undefined:
            return false;  // Jinja's undefined iterates as empty
        case Value::Kind::String:
            if (!item.is_string()) fail("'in <string>' needs a string on the left, not ", item.type_name());
            return container.as_string().find(item.as_string()) != std::string::npos;
        case Value::Kind::List:
            for (const Value& v : container.as_list())
                if (v == item) return true;
            return false;
        case Value::Kind::Dict:
            return item.is_string() && container.as_dict().find(item.as_string()) != nullptr;
        case Value::Kind::Namespace:
            return item.is_string() && container.namespace_attributes().find(item.as_string()) != nullptr;
        default:
            fail("'in' needs a string, list or dict on the right, not ", container.type_name());
    }
}

}  // namespace

Value binary_operation(BinaryOp op, const Value& left, const Value& right) {
    if (op == BinaryOp::Concat) return Value(left.str() + right.str());
    if (left.is_number() && right.is_number()) {
        if (is_integer(left) && is_integer(right))
            return integer_operation(op, integer_of(left), integer_of(right));
        return float_operation(op, left.to_double(), right.to_double());
    }
    if (op == BinaryOp::Add) {
        if (left.is_string() && right.is_string()) {
            if (left.as_string().size() + right.as_string().size() > kMaxBuiltSize)
                fail("joining these strings would make more than ", kMaxBuiltSize >> 20, " MiB");
            return Value(left.as_string() + right.as_string());
        }
        if (left.kind() == Value::Kind::List && right.kind() == Value::Kind::List &&
            left.is_tuple() == right.is_tuple()) {
            std::vector<Value> items = left.as_list();
            items.insert(items.end(), right.as_list().begin(), right.as_list().end());
            return Value::list(std::move(items), left.is_tuple());
        }
    }
    if (op == BinaryOp::Multiply) {
        if (is_sequence(left) && is_integer(right)) return repeat(left, integer_of(right));
        if (is_integer(left) && is_sequence(right)) return repeat(right, integer_of(left));
    }
    unsupported(op, left, right);
}

Value unary_operation(ast::UnaryOp op, const Value& operand) {
    if (op == ast::UnaryOp::Not) return Value(!operand.truthy());
    if (operand.is_undefined()) fail(operand.undefined_reason());
    if (!operand.is_number())
        fail("unary ", op == ast::UnaryOp::Negate ? "-" : "+", " needs a number, not ", operand.type_name());
    if (op == ast::UnaryOp::Plus) return is_integer(operand) ? Value(integer_of(operand)) : operand;
    if (!is_integer(operand)) return Value(-operand.as_float());
    if (integer_of(operand) == INT64_MIN) fail("integer overflow in unary -");
    return Value(-integer_of(operand));
}

bool compare(CompareOp op, const Value& left, const Value& right) {
    // Every ordering with NaN is false, as in Python.
    bool has_nan = left.is_number() && right.is_number() &&
                   (std::isnan(left.to_double()) || std::isnan(right.to_double()));
    switch (op) {
        case CompareOp::Equal:
            return left == right;
        case CompareOp::NotEqual:
            return !(left == right);
        case CompareOp::Less:
            return !has_nan && order(left, right, op) < 0;
        case CompareOp::LessEqual:
            return !has_nan && order(left, right, op) <= 0;
        case CompareOp::Greater:
            return !has_nan && order(left, right, op) > 0;
        case CompareOp::GreaterEqual:
            return !has_nan && order(left, right, op) >= 0;
        case CompareOp::In:
            return contains(right, left);
        case CompareOp::NotIn:
            return !contains(right, left);
    }
    return false;
}

}  // namespace loom::jinja
