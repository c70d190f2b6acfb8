// Runs a parsed template: walks the statements, evaluates expressions in nested scopes and collects the
// output. Scoping follows Jinja: {% if %} shares its surroundings' variables, while each pass of a {% for %}
// loop and each macro call gets its own, so {% set %} inside them does not leak out (templates use
// namespace() for that).
#pragma once

#include <string>

#include "chat/jinja/ast.h"
#include "chat/jinja/template.h"

namespace loom::jinja {

std::string run_template(const ast::Body& body, const Dict& variables, const RenderOptions& options);

}  // namespace loom::jinja
