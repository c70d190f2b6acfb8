#include "chat/jinja/builtins.h"

namespace loom::jinja {

ArgumentBinder::ArgumentBinder(std::string_view callee, const CallArgs& args,
                               std::vector<std::string_view> parameters, size_t required)
    : callee_(callee), parameters_(std::move(parameters)), bound_(parameters_.size(), nullptr) {
    if (args.positional.size() > parameters_.size())
        fail(callee_, " takes at most ", parameters_.size(), " argument", parameters_.size() == 1 ? "" : "s",
             " (", args.positional.size(), " given)");
    for (size_t i = 0; i < args.positional.size(); ++i)
        bound_[i] = &args.positional[i];
    for (const auto& [name, value] : args.keyword) {
        size_t i = 0;
        while (i < parameters_.size() && parameters_[i] != name)
            ++i;
        if (i == parameters_.size()) fail(callee_, " has no parameter named '", name, "'");
        if (bound_[i]) fail(callee_, " got two values for '", name, "'");
        bound_[i] = &value;
    }
    for (size_t i = 0; i < required; ++i)
        if (!bound_[i]) fail(callee_, " needs its '", parameters_[i], "' argument");
}

std::string ArgumentBinder::string(size_t index) const {
    const Value* v = bound_[index];
    if (!v || !v->is_string())
        fail(callee_, " expects a string for '", parameters_[index], "', not ",
             v ? v->type_name() : "nothing");
    return v->as_string();
}

std::string ArgumentBinder::string_or(size_t index, std::string fallback) const {
    if (!has(index) || bound_[index]->is_none()) return fallback;
    return string(index);
}

int64_t ArgumentBinder::integer_or(size_t index, int64_t fallback) const {
    const Value* v = bound_[index];
    if (!v || v->is_none()) return fallback;
    if (v->kind() == Value::Kind::Int) return v->as_int();
    if (v->kind() == Value::Kind::Bool) return v->as_bool() ? 1 : 0;
    fail(callee_, " expects an integer for '", parameters_[index], "', not ", v->type_name());
}

bool ArgumentBinder::boolean_or(size_t index, bool fallback) const {
    return has(index) ? bound_[index]->truthy() : fallback;
}

}  // namespace loom::jinja
