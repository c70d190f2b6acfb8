#include "chat/jinja/interpreter.h"

#include <map>

#include "chat/jinja/builtins.h"

namespace loom::jinja {

namespace {

// Macros are the one way a template can recurse; deeper than this is taken as runaway recursion.
constexpr int kMaxMacroDepth = 100;

template <class... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

class Scope {
  public:
    explicit Scope(const Scope* parent) : parent_(parent) {}

    const Value* find(std::string_view name) const {
        for (const Scope* scope = this; scope; scope = scope->parent_) {
            auto it = scope->variables_.find(name);
            if (it != scope->variables_.end()) return &it->second;
        }
        return nullptr;
    }
    void set(const std::string& name, Value value) { variables_[name] = std::move(value); }

  private:
    const Scope* parent_;
    std::map<std::string, Value, std::less<>> variables_;
};

enum class Flow { Normal, Break, Continue };

// Runs `action`, giving an Error from inside it the template position `where` unless it already has one (or
// is the template's own raise_exception(), whose message stays as written).
template <class Action>
auto located(SourceLocation where, Action&& action) -> decltype(action()) {
    try {
        return action();
    } catch (const TemplateError&) {
        throw;
    } catch (const TemplateRaised&) {
        throw;
    } catch (const Error& e) {
        throw TemplateError(where, e.what());
    }
}

class Interpreter {
  public:
    Interpreter(const Dict& variables, const RenderOptions& options)
        : options_(options), builtins_scope_(nullptr), template_scope_(&builtins_scope_) {
        Dict functions = global_functions(options);
        for (const auto& [name, value] : functions.entries())
            builtins_scope_.set(name, value);
        for (const auto& [name, value] : variables.entries())
            template_scope_.set(name, value);
    }

    std::string run(const ast::Body& body) {
        std::string out;
        execute(body, template_scope_, out);
        return out;
    }

  private:
    // --- statements ------------------------------------------------------------------------------------

    Flow execute(const ast::Body& body, Scope& scope, std::string& out) {
        for (const auto& stmt : body) {
            Flow flow = execute(*stmt, scope, out);
            if (flow != Flow::Normal) return flow;
        }
        return Flow::Normal;
    }

    void count_step() {
        if (++steps_ > options_.max_steps)
            fail("the template ran more than ", options_.max_steps,
                 " steps; it is looping far longer than a chat "
                 "template should");
    }

    Flow execute(const ast::Stmt& stmt, Scope& scope, std::string& out) {
        return located(stmt.where, [&] {
            count_step();
            return std::visit(
                Overloaded{
                    [&](const ast::Text& node) {
                        append(out, node.text);
                        return Flow::Normal;
                    },
                    [&](const ast::Output& node) {
                        append(out, evaluate(*node.expr, scope).str());
                        return Flow::Normal;
                    },
                    [&](const ast::If& node) {
                        for (const auto& [condition, body] : node.branches)
                            if (evaluate(*condition, scope).truthy()) return execute(body, scope, out);
                        return execute(node.otherwise, scope, out);
                    },
                    [&](const ast::For& node) { return execute_for(node, scope, out); },
                    [&](const ast::Set& node) {
                        assign(node, evaluate(*node.value, scope), scope);
                        return Flow::Normal;
                    },
                    [&](const ast::SetBlock& node) {
                        Scope inner(&scope);
                        std::string captured;
                        execute(node.body, inner, captured);
                        scope.set(node.name, Value(std::move(captured)));
                        return Flow::Normal;
                    },
                    [&](const ast::Macro& node) {
                        const ast::Macro* macro = &node;
                        scope.set(node.name, Value::function(node.name, [this, macro](const CallArgs& args) {
                                      return call_macro(*macro, args);
                                  }));
                        return Flow::Normal;
                    },
                    [&](const ast::LoopControl& node) {
                        return node.is_break ? Flow::Break : Flow::Continue;
                    },
                    [&](const ast::Block& node) { return execute(node.body, scope, out); },
                },
                stmt.node);
        });
    }

    void append(std::string& out, std::string_view text) {
        if (out.size() + text.size() > options_.max_output_bytes)
            fail("the template's output grew beyond ", options_.max_output_bytes, " bytes");
        out += text;
    }

    void bind_targets(const std::vector<std::string>& targets, const Value& value, Scope& scope) {
        if (targets.size() == 1) {
            scope.set(targets[0], value);
            return;
        }
        if (value.kind() != Value::Kind::List)
            fail("cannot unpack a '", value.type_name(), "' value into ", targets.size(), " variables");
        const auto& items = value.as_list();
        if (items.size() != targets.size())
            fail("expected ", targets.size(), " values to unpack, got ", items.size());
        for (size_t i = 0; i < targets.size(); ++i)
            scope.set(targets[i], items[i]);
    }

    void assign(const ast::Set& node, Value value, Scope& scope) {
        if (node.attribute.empty()) return bind_targets(node.targets, value, scope);
        const Value* object = scope.find(node.targets[0]);
        if (!object) fail("'", node.targets[0], "' is undefined, so its attribute cannot be set");
        if (object->kind() != Value::Kind::Namespace)
            fail("cannot set attribute '", node.attribute, "' of '", node.targets[0], "', which holds a '",
                 object->type_name(), "' value: only namespace() objects can be changed");
        if (value.holds_namespace())
            fail("namespace attribute '", node.attribute, "' cannot hold another namespace");
        object->namespace_attributes().set(node.attribute, std::move(value));
    }

    Flow execute_for(const ast::For& node, Scope& scope, std::string& out) {
        std::vector<Value> items;
        for (Value& item : iterate(evaluate(*node.iterable, scope))) {
            if (node.condition) {
                Scope filter_scope(&scope);
                bind_targets(node.targets, item, filter_scope);
                if (!evaluate(*node.condition, filter_scope).truthy()) continue;
            }
            items.push_back(std::move(item));
        }
        if (items.empty()) return execute(node.otherwise, scope, out);

        for (size_t i = 0; i < items.size(); ++i) {
            count_step();
            Scope iteration(&scope);
            bind_targets(node.targets, items[i], iteration);
            iteration.set("loop", loop_variable(items, i));
            if (execute(node.body, iteration, out) == Flow::Break) break;
        }
        return Flow::Normal;
    }

    // The `loop` object: loop.index, loop.first, loop.last, loop.length, loop.previtem, loop.cycle(...)...
    static Value loop_variable(const std::vector<Value>& items, size_t i) {
        auto count = static_cast<int64_t>(items.size());
        auto index = static_cast<int64_t>(i);
        Dict loop;
        loop.set("index", Value(index + 1));
        loop.set("index0", Value(index));
        loop.set("revindex", Value(count - index));
        loop.set("revindex0", Value(count - index - 1));
        loop.set("first", Value(i == 0));
        loop.set("last", Value(i + 1 == items.size()));
        loop.set("length", Value(count));
        loop.set("depth", Value(1));
        loop.set("depth0", Value(0));
        if (i > 0) loop.set("previtem", items[i - 1]);
        if (i + 1 < items.size()) loop.set("nextitem", items[i + 1]);
        loop.set("cycle", Value::function("loop.cycle", [i](const CallArgs& args) {
                     if (args.positional.empty()) fail("loop.cycle() needs at least one value");
                     return args.positional[i % args.positional.size()];
                 }));
        return Value::dict(std::move(loop));
    }

    Value call_macro(const ast::Macro& macro, const CallArgs& args) {
        if (macro_depth_ >= kMaxMacroDepth)
            fail("macro '", macro.name, "' was called more than ", kMaxMacroDepth,
                 " levels deep; the template recurses without end");
        struct DepthGuard {
            int& depth;
            ~DepthGuard() { --depth; }
        } guard{++macro_depth_};

        if (args.positional.size() > macro.parameters.size())
            fail("macro '", macro.name, "' takes ", macro.parameters.size(), " arguments (",
                 args.positional.size(), " given)");
        Scope frame(&template_scope_);
        std::vector<bool> given(macro.parameters.size(), false);
        for (size_t i = 0; i < args.positional.size(); ++i) {
            frame.set(macro.parameters[i].name, args.positional[i]);
            given[i] = true;
        }
        for (const auto& [name, value] : args.keyword) {
            size_t i = 0;
            while (i < macro.parameters.size() && macro.parameters[i].name != name)
                ++i;
            if (i == macro.parameters.size())
                fail("macro '", macro.name, "' has no parameter named '", name, "'");
            if (given[i]) fail("macro '", macro.name, "' got two values for '", name, "'");
            frame.set(name, value);
            given[i] = true;
        }
        for (size_t i = 0; i < macro.parameters.size(); ++i) {
            if (given[i]) continue;
            const auto& parameter = macro.parameters[i];
            frame.set(parameter.name,
                      parameter.default_value
                          ? evaluate(*parameter.default_value, frame)
                          : Value::undefined(
                                cat("'", parameter.name, "' was not passed to macro '", macro.name, "'")));
        }
        std::string out;
        execute(*macro.body, frame, out);
        return Value(std::move(out));
    }

    // --- expressions -----------------------------------------------------------------------------------

    Value evaluate(const ast::Expr& expr, Scope& scope) {
        return located(expr.where, [&] {
            return std::visit([&](const auto& node) { return evaluate_node(node, scope); }, expr.node);
        });
    }

    Value evaluate_or_none(const ast::ExprPtr& expr, Scope& scope) {
        return expr ? evaluate(*expr, scope) : Value::none();
    }

    CallArgs evaluate_arguments(const ast::Arguments& args, Scope& scope) {
        CallArgs out;
        for (const auto& arg : args.positional)
            out.positional.push_back(evaluate(*arg, scope));
        for (const auto& [name, arg] : args.keyword)
            out.keyword.emplace_back(name, evaluate(*arg, scope));
        return out;
    }

    Value evaluate_node(const ast::Literal& node, Scope&) { return node.value; }

    Value evaluate_node(const ast::Name& node, Scope& scope) {
        const Value* value = scope.find(node.name);
        return value ? *value : Value::undefined(cat("'", node.name, "' is undefined"));
    }

    Value evaluate_node(const ast::ListLiteral& node, Scope& scope) {
        std::vector<Value> items;
        for (const auto& item : node.items)
            items.push_back(evaluate(*item, scope));
        return Value::list(std::move(items), node.tuple);
    }

    Value evaluate_node(const ast::DictLiteral& node, Scope& scope) {
        Dict dict;
        for (const auto& [key_expr, value_expr] : node.items) {
            Value key = evaluate(*key_expr, scope);
            if (!key.is_string()) fail("dictionary keys must be strings, not ", key.type_name());
            dict.set(key.as_string(), evaluate(*value_expr, scope));
        }
        return Value::dict(std::move(dict));
    }

    Value evaluate_node(const ast::GetAttr& node, Scope& scope) {
        return get_attribute(evaluate(*node.object, scope), node.name);
    }

    Value evaluate_node(const ast::GetItem& node, Scope& scope) {
        Value object = evaluate(*node.object, scope);
        return get_item(object, evaluate(*node.key, scope));
    }

    Value evaluate_node(const ast::Slice& node, Scope& scope) {
        Value object = evaluate(*node.object, scope);
        Value start = evaluate_or_none(node.start, scope), stop = evaluate_or_none(node.stop, scope);
        return get_slice(object, start, stop, evaluate_or_none(node.step, scope));
    }

    Value evaluate_node(const ast::Call& node, Scope& scope) {
        Value callee = evaluate(*node.callee, scope);
        if (callee.is_undefined()) fail(callee.undefined_reason(), ", so it cannot be called");
        if (callee.kind() != Value::Kind::Function) {
            std::string what = std::holds_alternative<ast::Name>(node.callee->node)
                                   ? cat("'", std::get<ast::Name>(node.callee->node).name, "'")
                                   : std::string("this value");
            fail(what, " is a '", callee.type_name(), "' value, not a function, so it cannot be called");
        }
        CallArgs args = evaluate_arguments(node.args, scope);
        return callee.as_function().call(args);
    }

    Value evaluate_node(const ast::FilterCall& node, Scope& scope) {
        Value input = evaluate(*node.input, scope);
        return apply_filter(node.name, input, evaluate_arguments(node.args, scope));
    }

    Value evaluate_node(const ast::TestCall& node, Scope& scope) {
        Value input = evaluate(*node.input, scope);
        return Value(apply_test(node.name, input, evaluate_arguments(node.args, scope)) != node.negated);
    }

    Value evaluate_node(const ast::Unary& node, Scope& scope) {
        return unary_operation(node.op, evaluate(*node.operand, scope));
    }

    Value evaluate_node(const ast::Binary& node, Scope& scope) {
        Value left = evaluate(*node.left, scope);
        // `and` and `or` return one of their operands, evaluating the right one only when needed (as Python).
        if (node.op == ast::BinaryOp::And) return left.truthy() ? evaluate(*node.right, scope) : left;
        if (node.op == ast::BinaryOp::Or) return left.truthy() ? left : evaluate(*node.right, scope);
        return binary_operation(node.op, left, evaluate(*node.right, scope));
    }

    Value evaluate_node(const ast::Compare& node, Scope& scope) {
        Value left = evaluate(*node.first, scope);
        for (const auto& [op, right_expr] : node.rest) {
            Value right = evaluate(*right_expr, scope);
            if (!compare(op, left, right)) return Value(false);
            left = std::move(right);
        }
        return Value(true);
    }

    Value evaluate_node(const ast::Conditional& node, Scope& scope) {
        if (evaluate(*node.condition, scope).truthy()) return evaluate(*node.when_true, scope);
        if (node.when_false) return evaluate(*node.when_false, scope);
        return Value::undefined("the inline 'if' was false and has no 'else'");
    }

    const RenderOptions& options_;
    Scope builtins_scope_;  // range, namespace, raise_exception...
    Scope template_scope_;  // the caller's variables and the template's top-level {% set %}s
    int macro_depth_ = 0;
    uint64_t steps_ = 0;
};

}  // namespace

std::string run_template(const ast::Body& body, const Dict& variables, const RenderOptions& options) {
    return Interpreter(variables, options).run(body);
}

}  // namespace loom::jinja
