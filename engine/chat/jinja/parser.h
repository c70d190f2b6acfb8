// Builds the syntax tree from tokens, following Jinja2's grammar and operator precedence, lowest first:
//   a if c else b  <  or  <  and  <  not  <  comparisons, in, not in  <  + -  <  ~  <  * / // %  <  **
//   <  unary - +  <  filters (x | f) and tests (x is t)  <  attribute, subscript, call  <  literals and
//   names.
// So `a + b | trim` trims only b, and `not x is defined` negates the test.
#pragma once

#include <vector>

#include "chat/jinja/ast.h"
#include "chat/jinja/lexer.h"

namespace loom::jinja {

// Throws TemplateError naming the line, the column, what was expected and what was found.
ast::Body parse(const std::vector<Token>& tokens);

}  // namespace loom::jinja
