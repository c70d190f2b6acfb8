// The syntax tree the parser builds and the interpreter walks: expressions (what {{ }} prints, what {% if %}
// tests) and statements (text, output, if, for, set, macro...). Every node remembers where it came from, so
// runtime errors can name the line and column.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "chat/jinja/errors.h"
#include "chat/jinja/value.h"

namespace loom::jinja::ast {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

// Arguments of a call, filter or test: f(a, b, key=c).
struct Arguments {
    std::vector<ExprPtr> positional;
    std::vector<std::pair<std::string, ExprPtr>> keyword;
};

enum class UnaryOp { Not, Negate, Plus };
enum class BinaryOp { Add, Subtract, Multiply, Divide, FloorDivide, Modulo, Power, Concat, And, Or };
enum class CompareOp { Equal, NotEqual, Less, LessEqual, Greater, GreaterEqual, In, NotIn };

struct Literal {
    Value value;
};
struct Name {
    std::string name;
};
struct ListLiteral {  // [a, b] or a tuple (a, b)
    std::vector<ExprPtr> items;
    bool tuple = false;
};
struct DictLiteral {
    std::vector<std::pair<ExprPtr, ExprPtr>> items;
};
struct GetAttr {  // object.name: attribute first, then key (Jinja's getattr)
    ExprPtr object;
    std::string name;
};
struct GetItem {  // object[key]: key first, then attribute (Jinja's getitem)
    ExprPtr object;
    ExprPtr key;
};
struct Slice {  // object[start:stop:step]; absent parts are null
    ExprPtr object;
    ExprPtr start, stop, step;
};
struct Call {
    ExprPtr callee;
    Arguments args;
};
struct FilterCall {  // input | name(args)
    ExprPtr input;
    std::string name;
    Arguments args;
};
struct TestCall {  // input is [not] name(args)
    ExprPtr input;
    std::string name;
    Arguments args;
    bool negated = false;
};
struct Unary {
    UnaryOp op;
    ExprPtr operand;
};
struct Binary {
    BinaryOp op;
    ExprPtr left, right;
};
struct Compare {  // a < b <= c: each comparison against the previous operand, as in Python
    ExprPtr first;
    std::vector<std::pair<CompareOp, ExprPtr>> rest;
};
struct Conditional {  // when_true if condition else when_false; without "else" the result is undefined
    ExprPtr condition, when_true, when_false;
};

struct Expr {
    SourceLocation where;
    std::variant<Literal, Name, ListLiteral, DictLiteral, GetAttr, GetItem, Slice, Call, FilterCall, TestCall,
                 Unary, Binary, Compare, Conditional>
        node;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Text {
    std::string text;
};
struct Output {  // {{ expr }}
    ExprPtr expr;
};
struct If {
    std::vector<std::pair<ExprPtr, Body>> branches;  // if, then each elif
    Body otherwise;
};
struct For {
    std::vector<std::string> targets;  // one name, or several to unpack: for key, value in ...
    ExprPtr iterable;
    ExprPtr condition;  // for x in xs if condition; may be null
    Body body;
    Body otherwise;  // runs when nothing was iterated
};
struct Set {
    std::vector<std::string> targets;  // one name, or several to unpack
    std::string attribute;             // {% set ns.attribute = ... %}: targets holds the namespace's name
    ExprPtr value;
};
struct SetBlock {  // {% set name %}...{% endset %}
    std::string name;
    Body body;
};
struct MacroParameter {
    std::string name;
    ExprPtr default_value;  // may be null
};
struct Macro {
    std::string name;
    std::vector<MacroParameter> parameters;
    std::shared_ptr<const Body> body;  // shared with the callable the interpreter makes of it
};
struct LoopControl {  // {% break %} / {% continue %}
    bool is_break = false;
};
struct Block {  // statements with no effect of their own, e.g. Hugging Face's {% generation %} marker
    Body body;
};

struct Stmt {
    SourceLocation where;
    std::variant<Text, Output, If, For, Set, SetBlock, Macro, LoopControl, Block> node;
};

}  // namespace loom::jinja::ast
