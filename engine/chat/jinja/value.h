// What template expressions evaluate to. Hugging Face renders chat templates with Python's Jinja2, so values
// behave like Python's: truthiness, equality (1 == 1.0 == True), str() and repr() as Python prints them, and
// Jinja's "undefined" for names and attributes that do not exist.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace loom::jinja {

class Value;

// A dictionary with string keys in insertion order, like a Python dict built from JSON.
class Dict {
  public:
    const Value* find(std::string_view key) const;
    void set(std::string key, Value value);  // replaces an existing key in place
    const std::vector<std::pair<std::string, Value>>& entries() const { return entries_; }
    size_t size() const { return entries_.size(); }

  private:
    std::vector<std::pair<std::string, Value>> entries_;
};

struct CallArgs {
    std::vector<Value> positional;
    std::vector<std::pair<std::string, Value>> keyword;
};

// A built-in function, a bound string/dict method or a template macro.
struct Function {
    std::string name;
    std::function<Value(const CallArgs&)> call;
};

// How deeply lists and dicts may nest. Printing, comparing and freeing values recurse through them, so a
// template that keeps wrapping a value in a list inside a loop is stopped before it can exhaust the stack.
constexpr int kMaxValueNesting = 500;

// What lists and dicts share: their nesting depth and whether a namespace is inside, worked out once when
// they are built (they never change afterwards).
struct ContainerShape {
    int nesting = 1;
    bool holds_namespace = false;
};

struct ListData {
    std::vector<Value> items;
    bool tuple = false;  // printed as ('a', 1) rather than ['a', 1]
    ContainerShape shape;
};

struct DictData {
    Dict entries;
    ContainerShape shape;
};

class Value {
  public:
    enum class Kind { Undefined, None, Bool, Int, Float, String, List, Dict, Namespace, Function };

    // Undefined: a name or attribute that does not exist. `what` says which, for error messages:
    // "'tools' is undefined", "'dict object' has no attribute 'name'".
    Value() : data_(Undefined{"undefined value"}) {}
    static Value undefined(std::string what) { return Value(Undefined{std::move(what)}); }
    static Value none() { return Value(None{}); }
    Value(bool b) : data_(b) {}
    Value(int64_t i) : data_(i) {}
    Value(int i) : data_(static_cast<int64_t>(i)) {}
    Value(double d) : data_(d) {}
    Value(std::string s) : data_(std::move(s)) {}
    Value(std::string_view s) : data_(std::string(s)) {}
    Value(const char* s) : data_(std::string(s)) {}
    // Lists and dicts throw Error when nested deeper than kMaxValueNesting.
    static Value list(std::vector<Value> items, bool tuple = false);
    static Value dict(Dict entries);
    // A namespace() object: the one value templates may change, through {% set ns.attr = ... %}. A namespace
    // cannot hold another one (directly or inside a list or dict), so values never form cycles.
    static Value make_namespace(Dict attributes);
    static Value function(std::string name, std::function<Value(const CallArgs&)> call);

    Kind kind() const { return static_cast<Kind>(data_.index()); }
    bool is_undefined() const { return kind() == Kind::Undefined; }
    bool is_none() const { return kind() == Kind::None; }
    bool is_string() const { return kind() == Kind::String; }
    bool is_number() const { return kind() == Kind::Int || kind() == Kind::Float || kind() == Kind::Bool; }

    bool as_bool() const { return std::get<bool>(data_); }
    int64_t as_int() const { return std::get<int64_t>(data_); }
    double as_float() const { return std::get<double>(data_); }
    const std::string& as_string() const { return std::get<std::string>(data_); }
    const std::vector<Value>& as_list() const { return std::get<ListPtr>(data_)->items; }
    bool is_tuple() const { return kind() == Kind::List && std::get<ListPtr>(data_)->tuple; }
    const Dict& as_dict() const { return std::get<DictPtr>(data_)->entries; }
    Dict& namespace_attributes() const { return *std::get<NamespacePtr>(data_).object; }
    const Function& as_function() const { return *std::get<FunctionPtr>(data_); }
    // Why this value is undefined, e.g. "'tools' is undefined".
    const std::string& undefined_reason() const { return std::get<Undefined>(data_).what; }

    // 0 for scalars, 1 for an empty list, 2 for a list of lists...; a namespace counts as 1.
    int nesting() const;
    bool holds_namespace() const;  // is a namespace or contains one

    // Numbers as Python sees them: bools are 0 and 1, ints widen to double.
    double to_double() const;

    bool truthy() const;
    std::string str() const;   // Python's str(): what {{ value }} prints
    std::string repr() const;  // Python's repr(): how values print inside lists and dicts
    // Python's type name, for error messages: 'str', 'int', 'list', 'dict', 'NoneType', 'undefined'...
    std::string type_name() const;

    friend bool operator==(const Value& a, const Value& b);

  private:
    struct Undefined {
        std::string what;
    };
    struct None {};
    using ListPtr = std::shared_ptr<const ListData>;
    using DictPtr = std::shared_ptr<const DictData>;
    struct NamespacePtr {
        std::shared_ptr<Dict> object;
    };
    using FunctionPtr = std::shared_ptr<const Function>;

    explicit Value(Undefined u) : data_(std::move(u)) {}
    explicit Value(None n) : data_(n) {}
    explicit Value(ListPtr l) : data_(std::move(l)) {}
    explicit Value(DictPtr d) : data_(std::move(d)) {}
    explicit Value(NamespacePtr n) : data_(std::move(n)) {}
    explicit Value(FunctionPtr f) : data_(std::move(f)) {}

    // The order matches Kind.
    std::variant<Undefined, None, bool, int64_t, double, std::string, ListPtr, DictPtr, NamespacePtr,
                 FunctionPtr>
        data_;
};

// Python's repr() of a float, e.g. 1.0, 0.1, 1e+16, 1.5e-05.
std::string python_float_repr(double value);

}  // namespace loom::jinja
